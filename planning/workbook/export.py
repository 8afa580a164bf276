"""The estate as rows of the workbook's sheets, and the xlsx made of them (streamed, near-constant
memory): related objects by natural key, enumerations as dropdowns, every name and WWPN written
as text. The same rows are what an import compares its rows with."""

import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from django.db.models import Q
from django.utils import timezone

from inventory.models import (
    Adapter,
    Drawer,
    Fabric,
    Frame,
    Lpar,
    Port,
    SharedProcessorPool,
    Slot,
    StoragePort,
    VirtualAdapter,
    Vlan,
    Wwpn,
)
from planning.workbook import columns as c
from planning.workbook.xlsx import XlsxWriter

Row = dict[str, object]
NUMBER_KINDS = {c.ID, c.INT, c.DECIMAL}


def _frame_rows() -> Iterator[Row]:
    for frame in Frame.objects.select_related("hmc", "evacuation_target").order_by("name"):
        yield {
            "id": frame.pk,
            "name": frame.name,
            "machine_type": frame.machine_type,
            "model": frame.model,
            "serial": frame.serial,
            "hmc": frame.hmc.name if frame.hmc else "",
            "processor_generation": frame.processor_generation,
            "compat_modes": list(frame.compat_modes or []),
            "proc_units": frame.proc_units,
            "memory_mb": frame.memory_mb,
            "memory_region_mb": frame.memory_region_mb,
            "firmware_level": frame.firmware_level,
            "max_active_migrations": frame.max_active_migrations,
            "state": frame.state,
            "evacuation_target": frame.evacuation_target.name if frame.evacuation_target else "",
        }


def _drawer_rows() -> Iterator[Row]:
    fields = ("id", "frame__name", "location", "kind", "position")
    for pk, frame, location, kind, position in Drawer.objects.order_by(
        "frame__name", "location"
    ).values_list(*fields):
        yield {"id": pk, "frame": frame, "location": location, "kind": kind, "position": position}


def _slot_rows() -> Iterator[Row]:
    adapters = {
        slot: (kind, feature, description, owner)
        for slot, kind, feature, description, owner in Adapter.objects.values_list(
            "slot_id", "kind", "feature_code", "description", "owner__name"
        )
    }
    fields = (
        "id",
        "drawer__frame__name",
        "drawer__location",
        "location",
        "bus",
        "drc_index",
        "description",
    )
    rows = Slot.objects.order_by("drawer__frame__name", "drawer__location", "location")
    for pk, frame, drawer, location, bus, drc, description in rows.values_list(*fields):
        kind, feature, adapter_description, owner = adapters.get(pk, ("", "", "", ""))
        yield {
            "id": pk,
            "frame": frame,
            "drawer": drawer,
            "slot": location,
            "bus": bus,
            "drc_index": drc,
            "description": description,
            "adapter_kind": kind,
            "feature_code": feature,
            "adapter_description": adapter_description,
            "owner": owner or "",
        }


def _port_rows() -> Iterator[Row]:
    wwpns = {
        port: (value, fabric or "")
        for port, value, fabric in Wwpn.objects.filter(port__isnull=False).values_list(
            "port_id", "value", "fabric__name"
        )
    }
    fields = (
        "id",
        "adapter__slot__drawer__frame__name",
        "adapter__slot__drawer__location",
        "adapter__slot__location",
        "name",
        "mac",
        "switch_port",
        "speed_gbps",
    )
    rows = Port.objects.order_by(
        "adapter__slot__drawer__frame__name",
        "adapter__slot__drawer__location",
        "adapter__slot__location",
        "name",
    )
    for pk, frame, drawer, slot, name, mac, switch_port, speed in rows.values_list(*fields):
        wwpn, fabric = wwpns.get(pk, ("", ""))
        yield {
            "id": pk,
            "frame": frame,
            "drawer": drawer,
            "slot": slot,
            "name": name,
            "mac": mac,
            "switch_port": switch_port,
            "speed_gbps": speed,
            "wwpn": wwpn,
            "fabric": fabric,
        }


def _vlan_rows() -> Iterator[Row]:
    for pk, vlan_id, name in Vlan.objects.order_by("vlan_id").values_list("id", "vlan_id", "name"):
        yield {"id": pk, "vlan_id": vlan_id, "name": name}


def _fabric_rows() -> Iterator[Row]:
    fields = ("id", "name", "side", "vendor", "vsan", "zoneset_name", "zoning_style")
    for values in Fabric.objects.order_by("name").values_list(*fields):
        yield dict(zip(fields, values, strict=True))


def _storage_port_rows() -> Iterator[Row]:
    wwpns = dict(
        Wwpn.objects.filter(storage_port__isnull=False).values_list("storage_port_id", "value")
    )
    rows = StoragePort.objects.order_by("array", "name")
    for pk, array, name, fabric in rows.values_list("id", "array", "name", "fabric__name"):
        yield {"id": pk, "array": array, "name": name, "fabric": fabric, "wwpn": wwpns.get(pk, "")}


def _shared_pool_rows() -> Iterator[Row]:
    rows = SharedProcessorPool.objects.order_by("frame__name", "pool_id")
    for pk, frame, pool_id, name in rows.values_list("id", "frame__name", "pool_id", "name"):
        yield {"id": pk, "frame": frame, "pool_id": pool_id, "name": name}


def _lpar_rows(where: Q | None = None) -> Iterator[Row]:
    where = where or Q()
    fields = (
        "id",
        "frame__name",
        "name",
        "lpar_id",
        "kind",
        "state",
        "proc_mode",
        "proc_units",
        "virtual_procs",
        "memory_mb",
        "compat_mode",
        "shared_pool__name",
        "msp",
        "profile_name",
        "stub_of__frame__name",
        "stub_of__name",
        "notes",
    )
    keys = (
        "id",
        "frame",
        "name",
        "lpar_id",
        "kind",
        "state",
        "proc_mode",
        "proc_units",
        "virtual_procs",
        "memory_mb",
        "compat_mode",
        "shared_pool",
        "msp",
        "profile_name",
        "stub_of_frame",
        "stub_of",
        "notes",
    )
    for values in (
        Lpar.objects.filter(where).order_by("frame__name", "lpar_id").values_list(*fields)
    ):
        row = dict(zip(keys, values, strict=True))
        for key in ("shared_pool", "stub_of_frame", "stub_of"):
            row[key] = row[key] or ""
        yield row


def port_location(drawer: str, slot: str, port: str) -> str:
    """How a physical port is named in a cell: drawer-slot-port, U787F.001.DPM0XLZ-P1-C4-T1."""
    return f"{drawer}-{slot}-{port}"


def _virtual_adapter_rows(where: Q | None = None) -> Iterator[Row]:
    where = where or Q()
    adapters = VirtualAdapter.objects.filter(where)
    through = VirtualAdapter.vlans.through
    tagged: dict[int, list[int]] = defaultdict(list)
    links = through.objects.filter(virtualadapter__in=adapters) if where else through.objects
    for adapter, vlan in links.values_list("virtualadapter_id", "vlan__vlan_id"):
        tagged[adapter].append(vlan)
    pairs: dict[int, dict[int, tuple[str, str]]] = defaultdict(dict)
    wwpns = Wwpn.objects.filter(virtual_adapter__in=adapters) if where else Wwpn.objects
    for adapter, position, value, fabric in wwpns.filter(virtual_adapter__isnull=False).values_list(
        "virtual_adapter_id", "position", "value", "fabric__name"
    ):
        pairs[adapter][position] = (value, fabric or "")
    ports = {
        pk: port_location(drawer, slot, name)
        for pk, drawer, slot, name in Port.objects.filter(vfc_servers__isnull=False)
        .distinct()
        .values_list("id", "adapter__slot__drawer__location", "adapter__slot__location", "name")
    }
    fields = (
        "id",
        "lpar__frame__name",
        "lpar__name",
        "slot",
        "kind",
        "role",
        "remote_lpar__name",
        "remote_slot",
        "pvid_id",
        "vswitch",
        "trunk_priority",
        "physical_port_id",
        "backing_devices",
        "device_name",
    )
    rows = adapters.order_by("lpar__frame__name", "lpar__lpar_id", "slot")
    for (
        pk,
        frame,
        lpar,
        slot,
        kind,
        role,
        remote,
        remote_slot,
        pvid,
        vswitch,
        priority,
        port,
        backing,
        device,
    ) in rows.values_list(*fields).iterator(chunk_size=5000):
        pair = pairs.get(pk, {})
        (wwpn1, fabric1), (wwpn2, fabric2) = pair.get(1, ("", "")), pair.get(2, ("", ""))
        yield {
            "id": pk,
            "frame": frame,
            "lpar": lpar,
            "slot": slot,
            "kind": kind,
            "role": role,
            "remote_lpar": remote or "",
            "remote_slot": remote_slot,
            "pvid": pvid,
            "vlans": sorted(tagged.get(pk, [])),
            "vswitch": vswitch,
            "trunk_priority": priority,
            "physical_port": ports.get(port, "") if port else "",
            "backing_devices": list(backing or []),
            "device_name": device,
            "wwpn1": wwpn1,
            "wwpn2": wwpn2,
            "fabric1": fabric1,
            "fabric2": fabric2,
        }


ROWS: dict[str, Callable[[], Iterable[Row]]] = {
    c.FRAMES.title: _frame_rows,
    c.DRAWERS.title: _drawer_rows,
    c.SLOTS.title: _slot_rows,
    c.PORTS.title: _port_rows,
    c.VLANS.title: _vlan_rows,
    c.FABRICS.title: _fabric_rows,
    c.STORAGE_PORTS.title: _storage_port_rows,
    c.SHARED_POOLS.title: _shared_pool_rows,
    c.LPARS.title: _lpar_rows,
    c.VIRTUAL_ADAPTERS.title: _virtual_adapter_rows,
}


# Where the two big sheets find a row's frame: an import of a few frames reads only theirs.
FRAME_OF = {c.LPARS.title: "frame__name", c.VIRTUAL_ADAPTERS.title: "lpar__frame__name"}


def sheet_rows(
    spec: c.SheetSpec, *, frames: set[str] | None = None, ids: set[int] = frozenset()
) -> Iterable[Row]:
    """The estate's rows of one sheet, with values as the import reads them back; with `frames`,
    at least the rows on those frames and those with `ids` (more on sheets that hold few)."""
    if frames is None or spec.title not in FRAME_OF:
        return ROWS[spec.title]()
    return ROWS[spec.title](Q(**{f"{FRAME_OF[spec.title]}__in": frames}) | Q(pk__in=ids))


def _to_cell(column: c.Column) -> Callable[[object], object]:
    """How the column's row values go into cells (None: no cell at all)."""
    kind = column.kind
    if kind == c.CHOICE:
        labels = column.labels
        return lambda value: labels.get(value, value) if value else None
    if kind == c.BOOL:
        return lambda value: None if value is None else ("yes" if value else "no")
    if kind in (c.LIST, c.NUMBERS):
        return lambda value: ", ".join(str(item) for item in value) if value else None
    if kind == c.DECIMAL:
        return lambda value: None if value is None else float(value)
    return lambda value: None if value == "" else value


def cell_value(column: c.Column, value: object) -> object:
    """A row value as it goes into a cell (None: no cell at all)."""
    return _to_cell(column)(value)


class _Sheet:
    """A sheet of the workbook: bold frozen header, autofilter, dropdowns on enumerated columns,
    text cells for everything that is not a number."""

    def __init__(self, book: XlsxWriter, title: str, columns: tuple[c.Column, ...]):
        widths = [max(10, min(40, len(column.header) + 4)) for column in columns]
        self.sheet = book.sheet(title, len(columns), widths)
        self.sheet.append([column.header for column in columns], bold=True)
        self.columns = columns
        self._plan = [
            (column.key, _to_cell(column), column.kind in NUMBER_KINDS) for column in columns
        ]

    def append(self, row: Row) -> None:
        cells = []
        for key, to_cell, number in self._plan:
            value = to_cell(row.get(key))
            if value is None or number or isinstance(value, str):
                cells.append(value)
            else:
                cells.append(str(value))
        self.sheet.append(cells)

    def append_values(self, values: Iterable[object]) -> None:
        self.sheet.append([None if v in ("", None) else str(v) for v in values])

    def finish(self, *, dropdowns: bool = True) -> None:
        for index, column in enumerate(self.columns if dropdowns else ()):
            options = list(column.labels.values()) or (
                ["yes", "no"] if column.kind == c.BOOL else []
            )
            if options:
                self.sheet.dropdown(index, options)
        self.sheet.close()


def _readme(book: XlsxWriter, *, user: str, template: bool) -> None:
    readme = _Sheet(
        book,
        "README",
        (
            c.Column("Sheet", "sheet"),
            c.Column("Column", "column"),
            c.Column("Required", "required"),
            c.Column("What it holds", "help", c.FREE),
        ),
    )
    kind = "blank template" if template else "export of the estate"
    readme.append_values(
        [
            "(workbook)",
            f"lpmplanner planning workbook, {kind}",
            "",
            f"Made {timezone.now().isoformat(timespec='seconds')} for {user or 'lpmplanner'}. "
            "Import it on the Import page: a dry run first shows what would be created, changed "
            "or left alone and every problem; nothing changes until you commit. An import never "
            "deletes. Keep WWPNs and names as text.",
        ]
    )
    for spec in c.SHEETS:
        readme.append_values([spec.title, "", "", spec.help])
        for column in spec.columns:
            options = list(column.labels.values())
            text = column.help + (f" One of: {', '.join(options)}." if options else "")
            if column.synonyms:
                text += f" Also read from: {', '.join(column.synonyms)}."
            readme.append_values(
                [spec.title, column.header, "yes" if column.required else "", text.strip()]
            )
    readme.finish(dropdowns=False)


def sheet_workbook(spec: c.SheetSpec, rows: Iterable[Row]) -> bytes:
    """A workbook of one sheet with the given rows (for a partial import)."""
    out = io.BytesIO()
    book = XlsxWriter(out)
    sheet = _Sheet(book, spec.title, spec.columns)
    for row in rows:
        sheet.append(row)
    sheet.finish()
    book.close()
    return out.getvalue()


def planning_workbook(*, user: str = "", template: bool = False) -> bytes:
    """The workbook: a README sheet, then a sheet per model a planner edits; `template` leaves
    the sheets empty (headers and dropdowns only)."""
    out = io.BytesIO()
    book = XlsxWriter(out)
    _readme(book, user=user, template=template)
    for spec in c.SHEETS:
        sheet = _Sheet(book, spec.title, spec.columns)
        if not template:
            for row in sheet_rows(spec):
                sheet.append(row)
        sheet.finish()
    book.close()
    return out.getvalue()
