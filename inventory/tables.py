"""The list-page tables of the inventory (django-tables2): sortable columns, a selection
column for bulk edit, and plain values for the CSV/xlsx export (written by the export rule of
`lpmplanner/security/spreadsheets.py`: no cell is ever a formula)."""

import io

import django_tables2 as tables
from django.http import HttpResponse
from django.utils.html import format_html
from django.utils.text import capfirst
from openpyxl import Workbook
from openpyxl.styles import Font

from inventory.models import (
    Adapter,
    Drawer,
    Fabric,
    Frame,
    Hmc,
    Lpar,
    Port,
    SharedProcessorPool,
    Slot,
    StoragePort,
    VirtualAdapter,
    Vlan,
    Wwpn,
)
from lpmplanner.security.spreadsheets import csv_writer, xlsx_cell


class InventoryTable(tables.Table):
    """Every list: a checkbox per row (bulk edit), the first column linking to the object."""

    select = tables.CheckBoxColumn(
        accessor="pk", orderable=False, exclude_from_export=True,
        attrs={"th__input": {"data-select-all": "1", "aria-label": "Select all"},
               "td__input": {"name": "pk", "form": "bulk-form", "aria-label": "Select row"}},
    )  # fmt: skip

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle inventory-table"}
        # The columns a user can hide: all but the selection column.
        fixed_columns = ("select",)

    @classmethod
    def choosable_columns(cls) -> list[tuple[str, str]]:
        return [
            (name, capfirst(str(column.verbose_name or name)))
            for name, column in cls.base_columns.items()
            if name not in cls.Meta.fixed_columns
        ]


EXPORT_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_export(table: tables.Table, *, export: str, filename: str) -> HttpResponse:
    """Every row of `table` (its shown columns, no selection column) as CSV or xlsx."""
    rows = table.as_values(exclude_columns=("select",))
    response = HttpResponse(content_type=EXPORT_CONTENT_TYPES[export])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if export == "csv":
        csv_writer(response).writerows(
            ["" if value is None else value for value in values] for values in rows
        )
        return response
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(table.Meta.model._meta.verbose_name_plural).title()[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([xlsx_cell(sheet, value, font=bold) for value in next(rows)])
    for values in rows:
        sheet.append([xlsx_cell(sheet, value) for value in values])
    out = io.BytesIO()
    book.save(out)
    response.write(out.getvalue())
    return response


def linked(*args, **kwargs) -> tables.Column:
    return tables.Column(*args, linkify=True, **kwargs)


class HmcTable(InventoryTable):
    name = linked()

    class Meta(InventoryTable.Meta):
        model = Hmc
        fields = ("select", "name", "host", "ssh_port", "username", "rest_port", "version")


class FrameTable(InventoryTable):
    name = linked()
    hmc = tables.Column(linkify=True, verbose_name="HMC")
    lpar_count = tables.Column(verbose_name="LPARs", orderable=True)

    class Meta(InventoryTable.Meta):
        model = Frame
        fields = ("select", "name", "machine_type", "model", "serial", "hmc",
                  "processor_generation", "proc_units", "memory_mb", "firmware_level",
                  "state", "lpar_count")  # fmt: skip


class DrawerTable(InventoryTable):
    location = linked()
    frame = tables.Column(linkify=True)

    class Meta(InventoryTable.Meta):
        model = Drawer
        fields = ("select", "location", "frame", "kind", "position")


class SlotTable(InventoryTable):
    full_location = tables.Column(
        linkify=True, verbose_name="Location", order_by=("drawer__location", "location")
    )
    frame = tables.Column(accessor="drawer__frame", linkify=True)
    adapter = tables.Column(accessor="adapter__kind", verbose_name="Adapter", default="empty")
    owner = tables.Column(accessor="adapter__owner", verbose_name="Owner", linkify=True)

    class Meta(InventoryTable.Meta):
        model = Slot
        fields = ("select", "full_location", "frame", "bus", "drc_index", "description",
                  "adapter", "owner")  # fmt: skip


class AdapterTable(InventoryTable):
    slot = tables.Column(linkify=True, order_by=("slot__drawer__location", "slot__location"))
    kind = linked()
    frame = tables.Column(accessor="slot__drawer__frame", linkify=True)
    owner = tables.Column(linkify=True)

    class Meta(InventoryTable.Meta):
        model = Adapter
        fields = ("select", "kind", "slot", "frame", "feature_code", "description", "owner")


class PortTable(InventoryTable):
    name = linked()
    adapter = tables.Column(linkify=True, order_by=("adapter__slot__location",))
    wwpn = tables.Column(accessor="wwpn__value", verbose_name="WWPN")
    fabric = tables.Column(accessor="wwpn__fabric", verbose_name="Fabric")

    class Meta(InventoryTable.Meta):
        model = Port
        fields = ("select", "name", "adapter", "wwpn", "fabric", "mac", "switch_port",
                  "speed_gbps")  # fmt: skip


class VlanTable(InventoryTable):
    vlan_id = linked()

    class Meta(InventoryTable.Meta):
        model = Vlan
        fields = ("select", "vlan_id", "name")


class FabricTable(InventoryTable):
    name = linked()

    class Meta(InventoryTable.Meta):
        model = Fabric
        fields = ("select", "name", "side", "vendor", "vsan", "zoneset_name", "zoning_style")


class StoragePortTable(InventoryTable):
    name = linked()
    wwpn = tables.Column(accessor="wwpn__value", verbose_name="WWPN")
    fabric = tables.Column(linkify=True)

    class Meta(InventoryTable.Meta):
        model = StoragePort
        fields = ("select", "array", "name", "wwpn", "fabric")


class SharedProcessorPoolTable(InventoryTable):
    name = linked()
    frame = tables.Column(linkify=True)

    class Meta(InventoryTable.Meta):
        model = SharedProcessorPool
        fields = ("select", "name", "frame", "pool_id")


class LparTable(InventoryTable):
    name = linked()
    frame = tables.Column(linkify=True)
    shared_pool = tables.Column(accessor="shared_pool__name", verbose_name="Shared pool")
    stub_of = tables.Column(linkify=True, verbose_name="Stub of")

    class Meta(InventoryTable.Meta):
        model = Lpar
        fields = ("select", "name", "frame", "lpar_id", "kind", "state", "proc_mode",
                  "proc_units", "virtual_procs", "memory_mb", "compat_mode", "shared_pool",
                  "msp", "stub_of")  # fmt: skip


class VirtualAdapterTable(InventoryTable):
    lpar = tables.Column(linkify=True, verbose_name="LPAR")
    slot = linked()
    remote_lpar = tables.Column(linkify=True, verbose_name="Remote LPAR")
    pvid = tables.Column(accessor="pvid_id", verbose_name="PVID")
    wwpns = tables.Column(empty_values=(), orderable=False, verbose_name="WWPNs")

    class Meta(InventoryTable.Meta):
        model = VirtualAdapter
        fields = ("select", "lpar", "slot", "kind", "role", "remote_lpar", "remote_slot",
                  "pvid", "wwpns", "device_name")  # fmt: skip

    def render_wwpns(self, record) -> str:
        return self.value_wwpns(record) or "—"

    def value_wwpns(self, record) -> str:
        return " ".join(w.value for w in record.wwpns.all())


class WwpnTable(InventoryTable):
    value = linked(verbose_name="WWPN")
    fabric = tables.Column(linkify=True)
    owner = tables.Column(empty_values=(), orderable=False)

    class Meta(InventoryTable.Meta):
        model = Wwpn
        fields = ("select", "value", "kind", "fabric", "owner")

    def render_owner(self, record):
        owner = record.port or record.virtual_adapter or record.storage_port
        return format_html('<a href="{}">{}</a>', owner.get_absolute_url(), owner)

    def value_owner(self, record) -> str:
        return str(record.port or record.virtual_adapter or record.storage_port)
