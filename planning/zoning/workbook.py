"""The zoning workbook and the CSV of its Zoning sheet. The workbook is streamed with the
planning workbook's writer (`planning/workbook/xlsx.py`: constant memory, about four times as
fast as openpyxl's write-only mode, which alone takes longer than the export's target). Every
WWPN and name is written as an inline string: text, never a number or a formula; the CSV
follows the export rule of `lpmplanner/security/spreadsheets.py`."""

import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils import timezone

from inventory.models import Fabric
from lpmplanner.security.spreadsheets import csv_writer
from planning.workbook.xlsx import Sheet, XlsxWriter
from planning.zoning.plan import (
    NPIV_CLIENT,
    FabricPlan,
    Finding,
    HostObject,
    Initiator,
    Target,
    ZoningPlan,
)

ZONING_COLUMNS = (
    "Change_ID",
    "Action",
    "Fabric",
    "Fabric_Name",
    "Vendor",
    "VSAN",
    "Active_Cfg_Zoneset",
    "Managed_System",
    "LPM_Target_System",
    "LPAR",
    "LPAR_ID",
    "Client_Adapter",
    "Client_Slot",
    "WWPN_Role",
    "Pair_Index",
    "Initiator_WWPN",
    "Initiator_WWPN_Storage",
    "Initiator_Alias",
    "VIOS",
    "VIOS_vfchost",
    "VIOS_Phys_Port",
    "VIOS_Port_WWPN",
    "Fabric_Label",
    "Device_Type",
    "Target_Storage",
    "Target_Port",
    "Target_WWPN",
    "Target_Alias",
    "Zone_Name",
    "Zone_Type",
    "Storage_Host_Object",
    "Notes",
)
ENUMERATED = {
    "Action": ("ADD", "KEEP", "REMOVE"),
    "Fabric": ("A", "B"),
    "WWPN_Role": ("ACTIVE", "LPM"),
    "Pair_Index": ("1", "2"),
    "Device_Type": ("NPIV_CLIENT", "VIOS_PHYS"),
    "Zone_Type": ("SI", "PEER", "SMART"),
}
NUMBERS = {"VSAN", "LPAR_ID", "Client_Slot"}


def zoning_values(plan: FabricPlan, actions: dict[str, str] | None = None) -> Iterator[tuple]:
    """The Zoning rows of `plan` as tuples in `ZONING_COLUMNS` order: one per initiator WWPN
    with its target group (the zone's targets, `;`-separated). `actions` maps a WWPN to
    ADD/KEEP/REMOVE (the diff); ADD otherwise."""
    fabric = plan.fabric
    actions = actions or {}
    host_of = {w: h.name for h in plan.hosts for w in h.wwpns}
    targets = {t.alias: t for t in plan.targets}
    every_target = _target_columns(plan.targets)
    groups: dict[tuple[str, ...], tuple[str, str, str, str]] = {}
    fabric_columns = (
        fabric.side,
        fabric.name,
        fabric.get_vendor_display(),
        fabric.vsan or "",
        fabric.zoneset_name,
    )
    zone_type = plan.zone_type
    for initiator in plan.initiators:
        zone = plan.zone_of(initiator.alias)
        if zone is None:
            group = every_target
        elif zone.targets in groups:
            group = groups[zone.targets]
        else:
            group = groups[zone.targets] = _target_columns(
                [targets[a] for a in zone.targets if a in targets]
            )
        npiv = initiator.device_type == NPIV_CLIENT
        yield (
            "",
            actions.get(initiator.wwpn, "ADD"),
            *fabric_columns,
            initiator.frame,
            initiator.lpm_target,
            initiator.lpar,
            initiator.lpar_id,
            initiator.adapter,
            initiator.client_slot or "",
            initiator.role,
            str(initiator.pair_index or ""),
            initiator.wwpn_switch,
            initiator.wwpn_storage,
            initiator.alias,
            initiator.vios,
            initiator.vios_vfchost,
            initiator.vios_port,
            initiator.vios_port_wwpn,
            fabric.name,
            initiator.device_type,
            *group,
            zone.name if zone else "",
            zone_type,
            host_of.get(initiator.wwpn, "") if npiv else "",
            f"stub twin of {initiator.stub_of}" if initiator.stub_of else "",
        )


def _target_columns(group: list[Target]) -> tuple[str, str, str, str]:
    """Target_Storage, Target_Port, Target_WWPN and Target_Alias of a zone's targets."""
    return (
        ";".join(sorted({t.array for t in group})),
        ";".join(t.port for t in group),
        ";".join(t.wwpn_switch for t in group),
        ";".join(t.alias for t in group),
    )


def zoning_rows(plan: FabricPlan, actions: dict[str, str] | None = None) -> Iterator[dict]:
    """The Zoning rows of `plan` as dicts by column name (see `zoning_values`)."""
    for values in zoning_values(plan, actions):
        yield dict(zip(ZONING_COLUMNS, values, strict=True))


def zoning_csv(plans: Iterable[FabricPlan], actions: dict[str, str] | None = None) -> str:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(ZONING_COLUMNS)
    for plan in plans:
        writer.writerows(zoning_values(plan, actions))
    return out.getvalue()


class _Sheet:
    """A sheet with a bold, frozen header, an autofilter, dropdowns on the enumerated columns
    and text cells (numbers only in `NUMBERS`)."""

    def __init__(self, book: XlsxWriter, title: str, columns: Iterable[str]):
        self.columns = tuple(columns)
        widths = [max(12, len(column) + 2) for column in self.columns]
        self.sheet: Sheet = book.sheet(title, len(self.columns), widths)
        self.sheet.append(self.columns, bold=True)
        self.numbers = {i for i, column in enumerate(self.columns) if column in NUMBERS}
        for index, column in enumerate(self.columns):
            if column in ENUMERATED:
                self.sheet.dropdown(index, list(ENUMERATED[column]))

    def append(self, values: dict) -> None:
        self.append_values(tuple(values.get(column, "") for column in self.columns))

    def append_values(self, values: tuple) -> None:
        """A row in column order; "" is no cell."""
        numbers = self.numbers
        if not numbers and all(type(value) is str for value in values):
            self.sheet.append(values)  # text only: the writer skips "" itself
            return
        self.sheet.append(
            [
                None if value == "" else value if index in numbers else str(value)
                for index, value in enumerate(values)
            ]
        )

    def finish(self) -> None:
        self.sheet.close()


def fabric_summary(fabric: Fabric, zone_type: str) -> str:
    """A fabric's line in the README sheet."""
    return (
        f"side {fabric.side}, {fabric.get_vendor_display()}"
        + (f", VSAN {fabric.vsan}" if fabric.vsan else "")
        + f", active configuration {fabric.zoneset_name}, {zone_type} zoning"
    )


def initiator_alias_values(fabric_name: str, initiator: Initiator) -> tuple:
    return (
        fabric_name,
        initiator.alias,
        initiator.wwpn_switch,
        initiator.device_type,
        initiator.lpar,
    )


def target_alias_values(fabric_name: str, target: Target) -> tuple:
    return (
        fabric_name,
        target.alias,
        target.wwpn_switch,
        "TARGET",
        f"{target.array} {target.port}",
    )


def host_values(fabric_name: str, host: HostObject) -> tuple:
    return (
        fabric_name,
        host.name,
        host.lpar,
        host.frame,
        ":".join(w.upper() for w in host.wwpns),
        "yes" if host.complete else "NO",
        host.mkhost,
    )


def workbook_write(
    *,
    user: str,
    fabrics: Iterable[tuple[Fabric, str]],
    zoning: Iterable[tuple],
    aliases: Iterable[tuple],
    zones: Iterable[tuple],
    hosts: Iterable[tuple],
    findings: Iterable[tuple[str, Finding]],
) -> bytes:
    """README, Zoning, Aliases, Zones, Storage_Hosts and Checks sheets, each sheet written whole
    from its rows (in column order) before the next is begun: the rows may be generators that
    read each fabric's part as its sheet asks for it. `fabrics`: each with its zone type."""
    out = io.BytesIO()
    # Level 1: the zip's deflate was a sixth of the export's time; the file is a quarter larger.
    book = XlsxWriter(out, compresslevel=1)
    readme = _Sheet(book, "README", ("Item", "Value"))
    now: datetime = timezone.now()
    readme.append_values(("Generated", now.isoformat(timespec="seconds")))
    readme.append_values(("Generated by", user or "lpmplanner"))
    for fabric, zone_type in fabrics:
        readme.append_values((f"Fabric {fabric.name}", fabric_summary(fabric, zone_type)))
    readme.finish()
    for title, columns, rows in (
        ("Zoning", ZONING_COLUMNS, zoning),
        ("Aliases", ("Fabric_Name", "Alias", "WWPN", "Kind", "Owner"), aliases),
        ("Zones", ("Fabric_Name", "Zone_Name", "Zone_Type", "Members", "Targets"), zones),
        ("Storage_Hosts", HOST_COLUMNS, hosts),
    ):
        sheet = _Sheet(book, title, columns)
        for values in rows:
            sheet.append_values(values)
        sheet.finish()
    checks = _Sheet(book, "Checks", ("Fabric_Name", "Severity", "Code", "Message"))
    for fabric_name, finding in findings:
        checks.append_values((fabric_name, finding.severity, finding.code, finding.message))
    checks.finish()
    book.close()
    return out.getvalue()


HOST_COLUMNS = (
    "Fabric_Name",
    "Host_Object",
    "LPAR",
    "Managed_System",
    "WWPNs",
    "Pair_Complete",
    "mkhost",
)


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

    def zoning_rows() -> Iterator[tuple]:
        for plan in plans:
            yield from zoning_values(plan, actions)
        if removed is not None:
            yield from zoning_values(removed, {i.wwpn: "REMOVE" for i in removed.initiators})

    def alias_rows() -> Iterator[tuple]:
        for plan in plans:
            name = plan.fabric.name
            for initiator in plan.initiators:
                yield initiator_alias_values(name, initiator)
            for target in plan.targets:
                yield target_alias_values(name, target)

    findings: list[tuple[str, Finding]] = [("", f) for f in zoning.findings]
    findings += [(plan.fabric.name, f) for plan in plans for f in plan.findings]
    return workbook_write(
        user=user,
        fabrics=[(plan.fabric, plan.zone_type) for plan in plans],
        zoning=zoning_rows(),
        aliases=alias_rows(),
        zones=(
            (plan.fabric.name, z.name, z.kind, ";".join(z.members), ";".join(z.targets))
            for plan in plans
            for z in plan.zones
        ),
        hosts=(host_values(plan.fabric.name, host) for plan in plans for host in plan.hosts),
        findings=findings,
    )
