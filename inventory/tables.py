"""The list-page tables of the inventory (django-tables2): sortable columns, a selection
column for bulk edit, and plain values for the CSV/xlsx export.

django-tables2 renders a body cell through its template and resolves each value by trying a
dictionary lookup first (an exception per model attribute): that was most of a list page's time.
The body is built here instead, each column's way of rendering worked out once per page; the
header, sorting, pagination and the exports are django-tables2's own."""

import inspect
from typing import Any

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.base import render_value_in_context
from django.template.context import Context
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.utils import Accessor

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

_MISSING = object()


def _absolute_url(instance: models.Model) -> str:
    """`get_absolute_url()`, without a `reverse()` per row for the inventory's detail pages."""
    model = type(instance)
    if model.get_absolute_url.__qualname__ != "InventoryModel.get_absolute_url":
        return instance.get_absolute_url()
    try:
        prefix, suffix = _URL_PATTERNS[model]
    except KeyError:
        marker = "2147483647"
        prefix, _, suffix = reverse(
            f"inventory:{model._meta.model_name}-detail", args=[marker]
        ).rpartition(marker)
        _URL_PATTERNS[model] = prefix, suffix
    return f"{prefix}{instance.pk}{suffix}"


_URL_PATTERNS: dict[type, tuple[str, str]] = {}


class _BodyColumn:
    """How one column's body cells render, decided once per page: the same value lookup,
    default, render method, link and `<td>` attributes django-tables2 would use."""

    def __init__(self, table: tables.Table, bound_column) -> None:
        column = bound_column.column
        self.bound_column = bound_column
        self.column = column
        self.td_attrs = bound_column.attrs["td"].as_html()
        self.default = bound_column.default
        self.localize = column.localize
        self.render = bound_column.render
        parameters = inspect.signature(self.render).parameters
        self.takes = {
            name for name in ("value", "record", "column", "bound_column", "bound_row", "table")
            if name in parameters
        } if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()) else None  # fmt: skip
        bits = Accessor(bound_column.accessor).bits
        self.bits = bits
        self.display = None  # get_FOO_display of the last model in the chain, for choices
        model = getattr(table.data, "model", None)
        if model is not None and bits:
            try:
                field = Accessor(bound_column.accessor).get_field(model)
            except FieldDoesNotExist:
                field = None
            if field is not None and getattr(field, "choices", None):
                self.display = f"get_{bits[-1]}_display"
        self.link_name = Accessor(bound_column.name)
        self.fast_link = bound_column.link is not None and _plain_link(bound_column.link)

    def value(self, record: Any) -> Any:
        current = record
        bits = self.bits[:-1] if self.display else self.bits
        for bit in bits:
            current = getattr(current, bit, _MISSING)
            if current is _MISSING:
                return None
            if callable(current) and not getattr(current, "do_not_call_in_templates", False):
                if getattr(current, "alters_data", False):
                    return None
                current = current()
            if current is None:
                return None
        if self.display and isinstance(current, models.Model):
            return getattr(current, self.display)()
        return current

    def cell(self, table: tables.Table, row, record: Any) -> SafeString | str:
        value = self.value(record)
        if value in self.column.empty_values:
            content = self.default
        else:
            arguments = {
                "value": value, "record": record, "column": self.column,
                "bound_column": self.bound_column, "bound_row": row, "table": table,
            }  # fmt: skip
            content = self.render(
                **(arguments if self.takes is None else {k: arguments[k] for k in self.takes})
            )
            if self.fast_link:
                target = self.link_name.resolve(record, quiet=True)
                if not hasattr(target, "get_absolute_url"):
                    target = record
                content = format_html('<a href="{}">{}</a>', _absolute_url(target), content)
            elif self.bound_column.link:
                content = self.bound_column.link(content, **arguments)
        return content


def _plain_link(link) -> bool:
    """`linkify=True`: a link to the object's (or the record's) get_absolute_url()."""
    return not (link.url or link.reverse_args or link.accessor or link.attrs)


class InventoryTable(tables.Table):
    """Every list: a checkbox per row (bulk edit), the first column linking to the object."""

    select = tables.CheckBoxColumn(
        accessor="pk", orderable=False, exclude_from_export=True,
        attrs={"th__input": {"data-select-all": "1", "aria-label": "Select all"},
               "td__input": {"name": "pk", "form": "bulk-form", "aria-label": "Select row"}},
    )  # fmt: skip

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle inventory-table"}
        template_name = "inventory/_table.html"
        # The columns a user can hide: all but the selection column.
        fixed_columns = ("select",)

    def tbody_html(self) -> SafeString:
        """The rows of the current page, as django-tables2's template would write them."""
        columns = [
            None
            if isinstance(bound.column, tables.ManyToManyColumn | BaseLinkColumn)
            else _BodyColumn(self, bound)
            for bound in self.columns
        ]
        context = Context(autoescape=True)
        html = []
        for row in self.paginated_rows:
            cells = []
            for bound, body in zip(self.columns, columns, strict=True):
                if body is None:  # rare column kinds: django-tables2's own way, cell by cell
                    content, localize, attrs = row.get_cell(bound.name), bound.localize, None
                else:
                    content, localize = body.cell(self, row, row.record), body.localize
                    attrs = body.td_attrs
                if localize is None:
                    text = render_value_in_context(content, context)
                else:
                    text = render_value_in_context(content, Context(use_l10n=localize))
                cells.append(f"<td {attrs if attrs is not None else bound.attrs['td'].as_html()}>"
                             f"{text}</td>")  # fmt: skip
            html.append(f"<tr {row.attrs.as_html()}>{''.join(cells)}</tr>")
        if not html and self.empty_text:
            html.append(format_html('<tr><td colspan="{}">{}</td></tr>', len(self.columns),
                                    self.empty_text))  # fmt: skip
        return mark_safe("".join(html))  # noqa: S308 (every part is escaped above)

    @classmethod
    def choosable_columns(cls) -> list[tuple[str, str]]:
        return [
            (name, capfirst(str(column.verbose_name or name)))
            for name, column in cls.base_columns.items()
            if name not in cls.Meta.fixed_columns
        ]


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
