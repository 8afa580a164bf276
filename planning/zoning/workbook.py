"""The zoning workbook (openpyxl write-only: near-constant memory) and the CSV of its Zoning
sheet. Every WWPN and name is written as text, never as a number or a formula."""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from planning.zoning.plan import NPIV_CLIENT, FabricPlan, Finding, ZoningPlan

ZONING_COLUMNS = (
    "Change_ID", "Action", "Fabric", "Fabric_Name", "Vendor", "VSAN", "Active_Cfg_Zoneset",
    "Managed_System", "LPM_Target_System", "LPAR", "LPAR_ID", "Client_Adapter", "Client_Slot",
    "WWPN_Role", "Pair_Index", "Initiator_WWPN", "Initiator_WWPN_Storage", "Initiator_Alias",
    "VIOS", "VIOS_vfchost", "VIOS_Phys_Port", "VIOS_Port_WWPN", "Fabric_Label", "Device_Type",
    "Target_Storage", "Target_Port", "Target_WWPN", "Target_Alias", "Zone_Name", "Zone_Type",
    "Storage_Host_Object", "Notes",
)  # fmt: skip
ENUMERATED = {
    "Action": ("ADD", "KEEP", "REMOVE"),
    "Fabric": ("A", "B"),
    "WWPN_Role": ("ACTIVE", "LPM"),
    "Pair_Index": ("1", "2"),
    "Device_Type": ("NPIV_CLIENT", "VIOS_PHYS"),
    "Zone_Type": ("SI", "PEER", "SMART"),
}
NUMBERS = {"VSAN", "LPAR_ID", "Client_Slot"}


def zoning_rows(plan: FabricPlan, actions: dict[str, str] | None = None) -> Iterator[dict]:
    """One row per initiator WWPN with its target group (the zone's targets, `;`-separated).
    `actions` maps a WWPN to ADD/KEEP/REMOVE (the diff); ADD otherwise."""
    fabric = plan.fabric
    host_of = {w: h.name for h in plan.hosts for w in h.wwpns}
    targets = {t.alias: t for t in plan.targets}
    for initiator in plan.initiators:
        zone = plan.zone_of(initiator.alias)
        group = [targets[a] for a in zone.targets if a in targets] if zone else plan.targets
        yield {
            "Change_ID": "",
            "Action": (actions or {}).get(initiator.wwpn, "ADD"),
            "Fabric": fabric.side,
            "Fabric_Name": fabric.name,
            "Vendor": fabric.get_vendor_display(),
            "VSAN": fabric.vsan or "",
            "Active_Cfg_Zoneset": fabric.zoneset_name,
            "Managed_System": initiator.frame,
            "LPM_Target_System": "",
            "LPAR": initiator.lpar,
            "LPAR_ID": initiator.lpar_id,
            "Client_Adapter": initiator.adapter,
            "Client_Slot": initiator.client_slot or "",
            "WWPN_Role": initiator.role,
            "Pair_Index": str(initiator.pair_index or ""),
            "Initiator_WWPN": initiator.wwpn_switch,
            "Initiator_WWPN_Storage": initiator.wwpn_storage,
            "Initiator_Alias": initiator.alias,
            "VIOS": initiator.vios,
            "VIOS_vfchost": initiator.vios_vfchost,
            "VIOS_Phys_Port": initiator.vios_port,
            "VIOS_Port_WWPN": initiator.vios_port_wwpn,
            "Fabric_Label": fabric.name,
            "Device_Type": initiator.device_type,
            "Target_Storage": ";".join(sorted({t.array for t in group})),
            "Target_Port": ";".join(t.port for t in group),
            "Target_WWPN": ";".join(t.wwpn_switch for t in group),
            "Target_Alias": ";".join(t.alias for t in group),
            "Zone_Name": zone.name if zone else "",
            "Zone_Type": plan.zone_type,
            "Storage_Host_Object": host_of.get(initiator.wwpn, "")
            if initiator.device_type == NPIV_CLIENT
            else "",
            "Notes": f"stub twin of {initiator.stub_of}" if initiator.stub_of else "",
        }


def zoning_csv(plans: Iterable[FabricPlan], actions: dict[str, str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ZONING_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for plan in plans:
        writer.writerows(zoning_rows(plan, actions))
    return out.getvalue()


class _Sheet:
    """A write-only sheet with a bold, frozen header, an autofilter and text cells."""

    def __init__(self, book: Workbook, title: str, columns: Iterable[str]):
        self.columns = tuple(columns)
        self.sheet = book.create_sheet(title)
        # Write-only sheets take widths and panes only before the first row.
        for index, column in enumerate(self.columns, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column) + 2)
        self.sheet.freeze_panes = "A2"
        header = []
        for column in self.columns:
            cell = WriteOnlyCell(self.sheet, value=column)
            cell.font = Font(bold=True)
            header.append(cell)
        self.sheet.append(header)
        self.count = 0

    def append(self, values: dict) -> None:
        row = []
        for column in self.columns:
            value = values.get(column, "")
            if value == "":
                row.append(None)  # an empty cell is not written at all
                continue
            if column in NUMBERS:
                row.append(value)
                continue
            text = str(value)
            if text.startswith("="):
                # openpyxl would write it as a formula: force text. Other strings stay text.
                cell = WriteOnlyCell(self.sheet, value=text)
                cell.data_type = "s"
                row.append(cell)
            else:
                row.append(text)
        self.sheet.append(row)
        self.count += 1

    def finish(self) -> None:
        last = get_column_letter(len(self.columns))
        self.sheet.auto_filter.ref = f"A1:{last}{self.count + 1}"
        for column, options in ENUMERATED.items():
            if column not in self.columns or not self.count:
                continue
            letter = get_column_letter(self.columns.index(column) + 1)
            validation = DataValidation(type="list", formula1=f'"{",".join(options)}"')
            validation.add(f"{letter}2:{letter}{self.count + 1}")
            self.sheet.data_validations.append(validation)


def zoning_workbook(
    zoning: ZoningPlan,
    plans: list[FabricPlan],
    *,
    user: str = "",
    actions: dict[str, str] | None = None,
    removed: FabricPlan | None = None,
) -> bytes:
    """README, Zoning, Aliases, Zones, Storage_Hosts and Checks sheets for `plans`. With a diff,
    `actions` marks each row ADD or KEEP and the `removed` initiators come as REMOVE rows."""
    book = Workbook(write_only=True)
    readme = _Sheet(book, "README", ("Item", "Value"))
    now: datetime = timezone.now()
    readme.append({"Item": "Generated", "Value": now.isoformat(timespec="seconds")})
    readme.append({"Item": "Generated by", "Value": user or "lpmplanner"})
    for plan in plans:
        fabric = plan.fabric
        readme.append(
            {
                "Item": f"Fabric {fabric.name}",
                "Value": f"side {fabric.side}, {fabric.get_vendor_display()}"
                + (f", VSAN {fabric.vsan}" if fabric.vsan else "")
                + f", active configuration {fabric.zoneset_name}, {plan.zone_type} zoning",
            }
        )
    readme.finish()

    zoning_sheet = _Sheet(book, "Zoning", ZONING_COLUMNS)
    aliases = _Sheet(book, "Aliases", ("Fabric_Name", "Alias", "WWPN", "Kind", "Owner"))
    zones = _Sheet(book, "Zones", ("Fabric_Name", "Zone_Name", "Zone_Type", "Members", "Targets"))
    hosts = _Sheet(
        book,
        "Storage_Hosts",
        ("Fabric_Name", "Host_Object", "LPAR", "Managed_System", "WWPNs", "Pair_Complete",
         "mkhost"),
    )  # fmt: skip
    for plan in plans:
        for row in zoning_rows(plan, actions):
            zoning_sheet.append(row)
    if removed is not None:
        for row in zoning_rows(removed, {i.wwpn: "REMOVE" for i in removed.initiators}):
            zoning_sheet.append(row)
    for plan in plans:
        for initiator in plan.initiators:
            aliases.append(
                {"Fabric_Name": plan.fabric.name, "Alias": initiator.alias,
                 "WWPN": initiator.wwpn_switch, "Kind": initiator.device_type,
                 "Owner": initiator.lpar}
            )  # fmt: skip
        for target in plan.targets:
            aliases.append(
                {"Fabric_Name": plan.fabric.name, "Alias": target.alias,
                 "WWPN": target.wwpn_switch, "Kind": "TARGET",
                 "Owner": f"{target.array} {target.port}"}
            )  # fmt: skip
        for zone in plan.zones:
            zones.append(
                {"Fabric_Name": plan.fabric.name, "Zone_Name": zone.name,
                 "Zone_Type": zone.kind, "Members": ";".join(zone.members),
                 "Targets": ";".join(zone.targets)}
            )  # fmt: skip
        for host in plan.hosts:
            hosts.append(
                {"Fabric_Name": plan.fabric.name, "Host_Object": host.name, "LPAR": host.lpar,
                 "Managed_System": host.frame, "WWPNs": ":".join(w.upper() for w in host.wwpns),
                 "Pair_Complete": "yes" if host.complete else "NO", "mkhost": host.mkhost}
            )  # fmt: skip
    for sheet in (zoning_sheet, aliases, zones, hosts):
        sheet.finish()

    checks = _Sheet(book, "Checks", ("Fabric_Name", "Severity", "Code", "Message"))
    findings: list[tuple[str, Finding]] = [("", f) for f in zoning.findings]
    findings += [(plan.fabric.name, f) for plan in plans for f in plan.findings]
    for fabric_name, finding in findings:
        checks.append(
            {"Fabric_Name": fabric_name, "Severity": finding.severity, "Code": finding.code,
             "Message": finding.message}
        )  # fmt: skip
    checks.finish()

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
