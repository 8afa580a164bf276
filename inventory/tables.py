"""The list-page tables of the inventory (django-tables2): sortable columns, a selection
column for bulk edit, and plain values for the CSV/xlsx export (written by the export rule of
`lpmplanner/security/spreadsheets.py`: no cell is ever a formula).

django-tables2 renders a body cell through its template and resolves each value by trying a
dictionary lookup first (an exception per model attribute): that was most of a list page's time.
The body is built here instead, each column's way of rendering worked out once per page; the
header, sorting and pagination are django-tables2's own."""

import contextlib
import copy
import functools
import html as html_module
import inspect
import io
import itertools
from collections.abc import Callable
from functools import cache, partialmethod
from typing import Any, cast

import django_tables2 as tables
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpResponse
from django.template.base import render_value_in_context
from django.template.context import Context
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape, format_html, format_html_join
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.data import TableQuerysetData
from django_tables2.rows import BoundRows
from django_tables2.utils import Accessor
from openpyxl import Workbook
from openpyxl.styles import Font

from inventory import display
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

_MISSING = object()
# Values whose equality is their written form (for these, equal values write the same cell).
_EXACT = frozenset({int, str, bool})


def _absolute_url(instance: Any) -> str:
    """`get_absolute_url()` (of any object that has one), without a `reverse()` per row for the
    inventory's detail pages."""
    model = type(instance)
    if not _default_url(model):
        url: str = instance.get_absolute_url()
        return url
    return _url_of(model, instance.pk)


def _default_url(model: type) -> bool:
    """Whether the model's get_absolute_url() is the inventory's detail page of its pk."""
    method = getattr(model, "get_absolute_url", None)
    return getattr(method, "__qualname__", "") == "InventoryModel.get_absolute_url"


def _url_of(model: type[models.Model], pk: Any) -> str:
    """The detail page of the `model` row `pk` (of a model whose URL is `_default_url`)."""
    try:
        prefix, suffix = _URL_PATTERNS[model]
    except KeyError:
        marker = "2147483647"
        prefix, _, suffix = reverse(
            f"inventory:{model._meta.model_name}-detail", args=[marker]
        ).rpartition(marker)
        _URL_PATTERNS[model] = prefix, suffix
    return f"{prefix}{pk}{suffix}"


_URL_PATTERNS: dict[type, tuple[str, str]] = {}


_ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")


@cache
def _arguments_taken(function: Callable[..., Any]) -> tuple[str, ...] | None:
    """Which of the cell arguments a render method takes (None: all, it takes **kwargs); of a
    method's function, its `self` is none of them."""
    parameters = inspect.signature(function).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return None
    return tuple(name for name in _ARGUMENTS if name in parameters)


def _resolved(record: Any, bits: tuple[str, ...]) -> Any:
    """django-tables2's Accessor.resolve() for model attributes, without trying a dictionary
    lookup (an exception) first: callables are called, None ends the chain."""
    current = record
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
    return current


class _BodyColumn:
    """How one column's body cells render, decided once per page: the same value lookup,
    default, render method, link and `<td>` attributes django-tables2 would use."""

    def __init__(self, table: tables.Table, bound_column: Any) -> None:
        column = bound_column.column
        self.bound_column = bound_column
        self.column = column
        self.empty_values = column.empty_values
        self.td_open = f"<td {bound_column.attrs['td'].as_html()}>"
        self.default = self.text(bound_column.default)
        self.render = bound_column.render
        function = getattr(self.render, "__func__", self.render)
        # A plain Column renders the value itself: no call needed.
        self.plain = function is tables.Column.render
        # Keyed by the function: a bound method is a new object each page (a cache miss).
        self.takes = _arguments_taken(function)
        self.checkbox = self._checkbox_template(bound_column)
        self.bits = tuple(Accessor(bound_column.accessor).bits)
        self.display = None  # get_FOO_display of the last model in the chain, for choices
        # What the model's own get_FOO_display() gives, as one dictionary (it builds one a call).
        self.labels: tuple[type[models.Model], dict[Any, str]] | None = None
        model = getattr(table.data, "model", None)
        field = None
        if model is not None and self.bits:
            try:
                field = Accessor(bound_column.accessor).get_field(model)
            except FieldDoesNotExist:
                field = None
            if field is not None and getattr(field, "choices", None):
                self.display = f"get_{self.bits[-1]}_display"
                self.labels = _default_labels(field, self.display)
        self.link_bits = tuple(Accessor(bound_column.name).bits)
        self.fast_link = bound_column.link is not None and _plain_link(bound_column.link)
        self.booleans = model is not None and self._boolean_templates(bound_column, field)
        # Whether a cell is a function of its value alone: no link, and either no render method
        # or one of a column class that says its render() reads only the value.
        self.by_value = (
            not self.checkbox
            and not bound_column.link
            and (
                self.plain
                or self.booleans
                or (
                    vars(type(column)).get("renders_value_only", False)
                    and function is type(column).render
                )
            )
        )
        self.written: dict[tuple[type, Any], str] = {}

    @staticmethod
    def _boolean_templates(bound_column: Any, field: Any) -> tuple[str, str] | None:
        """A yes/no column of a field without choices: its two renderings, (no, yes). Its own
        render() looks the model field up again for every cell."""
        column = bound_column.column
        plain = type(column).render is tables.BooleanColumn.render
        if not isinstance(column, tables.BooleanColumn) or not plain:
            return None
        if getattr(field, "choices", None) or callable(column.attrs.get("span")):
            return None
        return tuple(
            column.render(value=value, record=None, bound_column=bound_column)
            for value in (False, True)
        )

    @staticmethod
    def _checkbox_template(bound_column: Any) -> tuple[str, str] | None:
        """A selection checkbox with fixed attributes: its HTML around the value."""
        column = bound_column.column
        if not isinstance(column, tables.CheckBoxColumn) or column.checked is not None:
            return None
        if any(
            callable(v)
            for attrs in column.attrs.values()
            if isinstance(attrs, dict)
            for v in attrs.values()
        ):
            return None
        marker = "\x00value\x00"
        html = column.render(value=marker, bound_column=bound_column, record=None)
        prefix, found, suffix = str(html).partition(marker)
        return (prefix, suffix) if found else None

    def text(self, content: Any) -> str:
        """What the template's `{{ cell }}` (or `|localize`, `|unlocalize`) would write."""
        if isinstance(content, SafeData):
            return str(content)
        if isinstance(content, str):
            return html_module.escape(content)  # django's escape(), without its lazy wrapper
        if type(content) is int and not settings.USE_THOUSAND_SEPARATOR:
            return str(content)  # what localize() makes of it, without its format lookups
        return conditional_escape(str(localize(content, use_l10n=self.column.localize)))

    def value(self, record: Any) -> Any:
        if not self.display:
            return _resolved(record, self.bits)
        owner = _resolved(record, self.bits[:-1])
        if isinstance(owner, models.Model):
            if self.labels is not None and type(owner)._meta.concrete_model is self.labels[0]:
                value = getattr(owner, self.bits[-1])
                try:
                    label = self.labels[1].get(value, value)
                except TypeError:  # an unhashable value: the model's own way
                    return getattr(owner, self.display)()
                return force_str(label, strings_only=True)  # as get_FOO_display()
            return getattr(owner, self.display)()
        return None if owner is None else getattr(owner, self.bits[-1], None)

    def cell(self, table: tables.Table, row: Any, record: Any) -> str:
        return self.cell_of(table, row, record, self.value(record))

    def plan(self, model: type[models.Model] | None, lookups: dict[str, int]) -> bool:
        """Whether this column's cells can be written from a row of `values_list()` rather than
        from model instances, and if so, the lookups it reads (added to `lookups`, each with its
        place in the row). Only cells that read nothing of the record but field values qualify:
        a plain value, a choice's label, a yes/no, a selection checkbox, a render method of the
        value alone, a related object shown by `STR_FROM_VALUES`, a `linkify=True` link to an
        inventory detail page."""
        if model is None or not self.bits:
            return False
        simple = self.plain or self.checkbox or (self.booleans and not self.bound_column.link)
        if not simple and (self.takes is None or set(self.takes) - {"value"}):
            return False  # a render method that reads the record, the row or the table
        if self.bound_column.link and not self.fast_link:
            return False
        path = _field_path(model, self.bits)
        if path is None:
            return False
        last, is_object = path[-1]
        if self.display and (self.labels is None or len(path) > 1):
            return False

        def place(lookup: str) -> int:
            return lookups.setdefault(lookup, len(lookups))

        lookup = "__".join(self.bits)
        self.at = place(lookup)
        self.shown_as: tuple[tuple[int, ...], str] | None = None
        if is_object:
            shown = STR_FROM_VALUES.get(last.related_model)
            if shown is None:
                return False
            self.shown_as = (tuple(place(f"{lookup}__{part}") for part in shown[0]), shown[1])
        self.link_to: tuple[type[models.Model], int] | None = None
        if self.bound_column.link:
            self.link_to = (model, place("pk"))  # the record's own page
            if not _default_url(model):
                return False
            link_path = _field_path(model, self.link_bits)
            if link_path is None:
                return False
            target, target_is_object = link_path[-1]
            if target_is_object:
                related = target.related_model
                if not _default_url(related):
                    return False
                self.link_target: tuple[type[models.Model], int] | None = (
                    related,
                    place("__".join(self.link_bits)),
                )
            else:
                self.link_target = None
        return True

    def writer(self, table: tables.Table) -> Callable[[tuple[Any, ...]], str]:
        """`value_cell` for `table`, made shorter for the commonest kinds of cell (after
        `plan()`): a value written once a page, a selection checkbox, a plain link."""
        at, written, empty = self.at, self.written, self.empty_values
        default = f"{self.td_open}{self.default}</td>"
        slow = functools.partial(self.value_cell, table)
        if self.by_value and self.shown_as is None and self.labels is None:

            def by_value(values: tuple[Any, ...]) -> str:
                value = values[at]
                # Only non-empty values are ever written down (an empty one is the default).
                if type(value) in _EXACT and (html := written.get((type(value), value))):
                    return html
                return slow(values)

            return by_value
        if self.checkbox and self.link_to is None:
            opening = f"{self.td_open}{self.checkbox[0]}"
            closing = f"{self.checkbox[1]}</td>"

            def checkbox(values: tuple[Any, ...]) -> str:
                value = values[at]
                if value in empty:
                    return default
                return f"{opening}{html_module.escape(str(value))}{closing}"

            return checkbox
        if self.plain and self.link_to is not None and self.shown_as is None:
            own, target = self.link_to, self.link_target
            td_open = self.td_open

            def link(values: tuple[Any, ...]) -> str:
                value = values[at]
                if value in empty or isinstance(value, SafeData):
                    return slow(values)
                if target is not None and values[target[1]] is not None:
                    url = _url_of(target[0], values[target[1]])
                else:
                    url = _url_of(own[0], values[own[1]])
                text = html_module.escape(str(value))
                return f'{td_open}<a href="{html_module.escape(url)}">{text}</a></td>'

            return link
        return slow

    def value_cell(self, table: tables.Table, values: tuple[Any, ...]) -> str:
        """The cell of a row of `values_list()` (after `plan()`): what `cell()` writes."""
        value = values[self.at]
        if self.shown_as is not None and value is not None:
            places, form = self.shown_as
            value = _Shown(form.format(*(values[i] for i in places)))
        elif self.labels is not None:
            with contextlib.suppress(TypeError):  # an unhashable value: no such choice
                value = force_str(self.labels[1].get(value, value), strings_only=True)
        if self.link_to is None:
            return self.cell_of(table, None, None, value)
        target = self.link_target
        if target is not None and values[target[1]] is not None:
            url = _url_of(target[0], values[target[1]])
        else:
            url = _url_of(self.link_to[0], values[self.link_to[1]])
        return self.cell_of(table, None, None, value, url=url)

    def cell_of(
        self, table: tables.Table, row: Any, record: Any, value: Any, url: str | None = None
    ) -> str:
        if value in self.empty_values:
            return f"{self.td_open}{self.default}</td>"
        if self.by_value:
            # Many rows share a value (a state, a processor count, a memory size): its cell is
            # written once a page. The key tells apart what compares equal but is written
            # differently (True and 1, Decimal("1.0") and Decimal("1.00")).
            try:
                key = (type(value), value) if type(value) in _EXACT else (type(value), str(value))
                html = self.written.get(key)
            except TypeError:  # an unhashable value
                return self._cell(table, row, record, value)
            if html is None:
                html = self.written[key] = self._cell(table, row, record, value)
            return html
        return self._cell(table, row, record, value, url)

    def _cell(
        self, table: tables.Table, row: Any, record: Any, value: Any, url: str | None = None
    ) -> str:
        if self.checkbox:
            return f"{self.td_open}{self.checkbox[0]}{escape(value)}{self.checkbox[1]}</td>"
        if self.booleans and not self.bound_column.link:
            return f"{self.td_open}{self.booleans[bool(value)]}</td>"
        if self.plain and not self.bound_column.link:
            return f"{self.td_open}{self.text(value)}</td>"
        arguments = {
            "value": value,
            "record": record,
            "column": self.column,
            "bound_column": self.bound_column,
            "bound_row": row,
            "table": table,
        }
        if self.plain:
            content = value
        else:
            content = self.render(
                **(arguments if self.takes is None else {k: arguments[k] for k in self.takes})
            )
        if self.fast_link:
            if url is None:
                target = _resolved(record, self.link_bits)
                if not hasattr(target, "get_absolute_url"):
                    target = record
                url = _absolute_url(target)
            # format_html('<a href="{}">{}</a>', …), without its lazy wrappers
            url = html_module.escape(url)
            text = (
                str(content) if isinstance(content, SafeData) else html_module.escape(str(content))
            )
            content = mark_safe(f'<a href="{url}">{text}</a>')  # noqa: S308
        elif self.bound_column.link:
            content = self.bound_column.link(content, **arguments)
        return f"{self.td_open}{self.text(content)}</td>"


def _default_labels(
    field: models.Field[Any, Any], display: str
) -> tuple[type[models.Model], dict[Any, str]] | None:
    """(model, {value: label}) when the model's `display` method is Django's own
    get_FOO_display(), which looks the value up in the field's flat choices."""
    model = field.model._meta.concrete_model
    if model is None:
        return None
    for klass in model.__mro__:
        if display in vars(klass):
            method = vars(klass)[display]
            break
    else:
        return None
    if not (
        isinstance(method, partialmethod)
        and method.func is vars(models.Model)["_get_FIELD_display"]
        and method.keywords.get("field") is field
    ):
        return None
    try:
        return model, dict(field.flatchoices)
    except TypeError:  # unhashable choice values
        return None


class _Shown(str):
    """A related object's str(), made from values (STR_FROM_VALUES): never an empty cell, as
    the object itself is not one."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = str.__hash__


# str() of a row of these models, from the values of its own (or its relations') fields:
# (lookups, format). A list cell showing such an object reads these values instead of loading
# the object (tests/inventory/test_list_rendering.py checks each against the model's __str__).
STR_FROM_VALUES: dict[type[models.Model], tuple[tuple[str, ...], str]] = {
    Hmc: (("name",), "{}"),
    Frame: (("name",), "{}"),
    Lpar: (("name",), "{}"),
    Fabric: (("name",), "{}"),
    SharedProcessorPool: (("frame__name", "name"), "{}/{}"),
}


def _field_path(model: type[models.Model], bits: tuple[str, ...]) -> list[tuple[Any, bool]] | None:
    """The model fields an accessor walks through, each with whether it gives an object (a
    forward relation by its name) rather than a value; None when some step is not a concrete
    field (a property, a method, a reverse or many-to-many relation)."""
    path: list[tuple[Any, bool]] = []
    current: Any = model
    for bit in bits:
        if current is None or (path and not path[-1][1]):
            return None
        try:
            field = current._meta.pk if bit == "pk" else current._meta.get_field(bit)
        except FieldDoesNotExist:
            return None
        if not getattr(field, "concrete", False) or field.many_to_many:
            return None
        is_object = bool(field.is_relation) and bit == field.name  # `frame_id` is a value
        path.append((field, is_object))
        current = field.related_model if is_object else None
    return path or None


def _plain_link(link: Any) -> bool:
    """`linkify=True`: a link to the object's (or the record's) get_absolute_url()."""
    return not (link.url or link.reverse_args or link.accessor or link.attrs)


class _ColumnsCopiedShallow(dict[str, tables.Column]):
    """A table class's columns, which each table copies (`copy.deepcopy(base_columns)` in
    django-tables2's Table.__init__) so that it may change them: a copy of each column is
    enough, as django-tables2 only sets a column's own attributes (visible, current_value,
    accessor). The deep copy of every column's attributes, link and accessor was a twentieth of
    a list page."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, tables.Column]:
        return {name: copy.copy(column) for name, column in self.items()}


class _RowsRead(BoundRows):
    """A page's rows (django-tables2's BoundRows) whose number is known, as they were read."""

    def __init__(self, read: int, rows: BoundRows) -> None:
        super().__init__(data=rows.data, table=rows.table, pinned_data=rows.pinned_data)
        self.read = read

    def __len__(self) -> int:
        return self.read


class _OrderedToTheRow(TableQuerysetData):
    """A queryset sorted by a column a user chose, then by primary key: rows equal in that
    column (every LPAR of a frame, sorted by frame) come in one order from one page to the
    next, so none shows on two pages and none on neither."""

    def order_by(self, aliases: Any) -> None:
        super().order_by(aliases)
        queryset = cast("models.QuerySet[Any]", getattr(self, "data"))  # noqa: B009 (untyped)
        ordering = [str(term).lstrip("-") for term in queryset.query.order_by]
        if ordering and not {"pk", "id"} & set(ordering):
            self.data = queryset.order_by(*queryset.query.order_by, "pk")


class InventoryTable(tables.Table):
    """Every list: a checkbox per row (bulk edit), the first column linking to the object."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.base_columns = _ColumnsCopiedShallow(cls.base_columns)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if type(self.data) is TableQuerysetData:
            self.data.__class__ = _OrderedToTheRow

    select = tables.CheckBoxColumn(
        accessor="pk",
        orderable=False,
        exclude_from_export=True,
        attrs={
            "th__input": {"data-select-all": "1", "aria-label": "Select all"},
            "td__input": {"name": "pk", "form": "bulk-form", "aria-label": "Select row"},
        },
    )

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle inventory-table"}
        template_name = "inventory/_table.html"
        # The columns a user can hide: all but the selection column.
        fixed_columns = ("select",)

    def tbody_html(self) -> SafeString:
        """The rows of the current page, as django-tables2's template would write them."""
        shown = list(self.columns)  # once: each iteration of self.columns filters them again
        columns = [
            None
            if isinstance(bound.column, tables.ManyToManyColumn | BaseLinkColumn)
            else _BodyColumn(self, bound)
            for bound in shown
        ]
        html = self._rows_from_values(columns)
        if html is not None:
            return mark_safe("".join(html))  # noqa: S308 (every part is escaped by its column)
        context = Context(autoescape=True)
        html = []
        for row in self.paginated_rows:
            cells = []
            for bound, body in zip(shown, columns, strict=True):
                if body is not None:
                    cells.append(body.cell(self, row, row.record))
                    continue
                # Rare column kinds: django-tables2's own way, cell by cell.
                text = render_value_in_context(row.get_cell(bound.name), context)
                cells.append(f"<td {bound.attrs['td'].as_html()}>{text}</td>")
            attrs = (
                f'class="{row.get_even_odd_css_class()}"'
                if not self.row_attrs
                else row.attrs.as_html()
            )
            html.append(f"<tr {attrs}>{''.join(cells)}</tr>")
        if not html and self.empty_text:
            html.append(
                format_html('<tr><td colspan="{}">{}</td></tr>', len(shown), self.empty_text)
            )
        return mark_safe("".join(html))  # noqa: S308 (every part is escaped above)

    def _rows_from_values(self, columns: list[_BodyColumn | None]) -> list[str] | None:
        """The page's rows read with one `values_list()` of the shown columns' lookups, not as
        model instances (building ~3 instances a row was half of a list page's body), when
        every shown column can be written from values (`_BodyColumn.plan`); else None. The
        same query as django-tables2's for the page (filters, order, slice), fewer columns."""
        rows = getattr(self, "paginated_rows", None)
        queryset = getattr(rows, "data", None)
        if (
            not isinstance(queryset, models.QuerySet)
            or self.row_attrs
            or any(rows.pinned_data.values())  # type: ignore[union-attr]
        ):
            return None
        lookups: dict[str, int] = {}
        model = getattr(self.data, "model", None)
        if not all(body is not None and body.plan(model, lookups) for body in columns):
            return None
        shown: list[_BodyColumn] = columns  # type: ignore[assignment]
        writers = [body.writer(self) for body in shown]
        html = []
        for values in queryset.values_list(*lookups):
            # BoundRow's counter: the even/odd class of the row, as django-tables2 counts it.
            css = "odd" if next(self._counter) % 2 else "even"
            cells = "".join([write(values) for write in writers])
            html.append(f'<tr class="{css}">{cells}</tr>')
        # The template then asks whether the page has rows (`{% if table.page %}`): it need not
        # load them again as instances to count them.
        self.page.object_list = _RowsRead(len(html), rows)
        if not html and self.empty_text:
            html.append(
                format_html('<tr><td colspan="{}">{}</td></tr>', len(shown), self.empty_text)
            )
        return html

    @property
    def header_key(self) -> str:
        """What this table's header and pagination show besides the request's path and query
        string: its class, shown columns, order and language (the key of their cached HTML)."""
        kind = type(self)
        return "|".join(
            (
                f"{kind.__module__}.{kind.__qualname__}",
                ",".join(column.name for column in self.columns),
                ",".join(self.order_by or ()),
                str(self.show_header),
                get_language() or "",
            )
        )

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
    # A column shown differently on the page says in its export header what its values are.
    renamed = getattr(table, "export_headers", {})
    shown = [c.name for c in table.columns if not c.column.exclude_from_export]
    header = [renamed.get(name, value) for name, value in zip(shown, next(rows), strict=True)]
    rows = itertools.chain([header], rows)
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


class WwpnColumn(tables.Column):
    """A WWPN in colon pairs on the page; the stored 16 digits in exports."""

    renders_value_only = True  # its render() reads nothing but the value

    def render(self, value: Any) -> str:
        return display.wwpn_html(value)

    def value(self, value: str) -> str:
        return value


class YesNoColumn(tables.Column):
    """Yes / No on the page; the stored true / false in exports."""

    renders_value_only = True  # its render() reads nothing but the value

    def render(self, value: Any) -> str:
        return display.yes_no(value)

    def value(self, value: bool) -> bool:
        return value


class MemoryColumn(tables.Column):
    """Memory in GB on the page (MB on hover); MB in exports, as the header there says."""

    renders_value_only = True  # its render() reads nothing but the value

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("verbose_name", "Memory")
        kwargs.setdefault("attrs", {"td": {"class": "text-end"}})
        super().__init__(*args, **kwargs)

    def render(self, value: Any) -> str:
        return display.memory_html(value)

    def value(self, value: int) -> int:
        return value


def linked(*args: Any, **kwargs: Any) -> tables.Column:
    return tables.Column(*args, linkify=True, **kwargs)


class HmcTable(InventoryTable):
    name = linked()

    class Meta(InventoryTable.Meta):
        model = Hmc
        fields = ("select", "name", "host", "ssh_port", "username", "rest_port", "version")


class FrameTable(InventoryTable):
    name = linked()
    hmc = tables.Column(linkify=True, verbose_name="HMC")
    memory_mb = MemoryColumn(verbose_name="Installed memory")
    lpar_count = tables.Column(verbose_name="LPARs", orderable=True)
    export_headers = {"memory_mb": "Installed memory (MB)"}

    class Meta(InventoryTable.Meta):
        model = Frame
        fields = (
            "select",
            "name",
            "machine_type",
            "model",
            "serial",
            "hmc",
            "processor_generation",
            "proc_units",
            "memory_mb",
            "firmware_level",
            "state",
            "lpar_count",
        )


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
        fields = (
            "select",
            "full_location",
            "frame",
            "bus",
            "drc_index",
            "description",
            "adapter",
            "owner",
        )


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
    wwpn = WwpnColumn(accessor="wwpn__value", verbose_name="WWPN")
    fabric = tables.Column(accessor="wwpn__fabric", verbose_name="Fabric")

    class Meta(InventoryTable.Meta):
        model = Port
        fields = ("select", "name", "adapter", "wwpn", "fabric", "mac", "switch_port", "speed_gbps")


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
    wwpn = WwpnColumn(accessor="wwpn__value", verbose_name="WWPN")
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
    memory_mb = MemoryColumn()
    msp = YesNoColumn(verbose_name="MSP")
    export_headers = {"memory_mb": "Memory (MB)"}

    class Meta(InventoryTable.Meta):
        model = Lpar
        fields = (
            "select",
            "name",
            "frame",
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
            "stub_of",
        )


class VirtualAdapterTable(InventoryTable):
    lpar = tables.Column(linkify=True, verbose_name="LPAR")
    slot = linked()
    remote_lpar = tables.Column(linkify=True, verbose_name="Remote LPAR")
    pvid = tables.Column(accessor="pvid_id", verbose_name="PVID")
    wwpns = tables.Column(empty_values=(), orderable=False, verbose_name="WWPNs")

    class Meta(InventoryTable.Meta):
        model = VirtualAdapter
        fields = (
            "select",
            "lpar",
            "slot",
            "kind",
            "role",
            "remote_lpar",
            "remote_slot",
            "pvid",
            "wwpns",
            "device_name",
        )

    def render_wwpns(self, record: VirtualAdapter) -> str:
        values = [w.value for w in record.wwpns.all()]
        if not values:
            return "—"
        return format_html_join(" ", "{}", ((display.wwpn_html(v),) for v in values))

    def value_wwpns(self, record: VirtualAdapter) -> str:
        return " ".join(w.value for w in record.wwpns.all())


class WwpnTable(InventoryTable):
    value = WwpnColumn(verbose_name="WWPN", linkify=True)
    fabric = tables.Column(linkify=True)
    owner = tables.Column(empty_values=(), orderable=False)

    class Meta(InventoryTable.Meta):
        model = Wwpn
        fields = ("select", "value", "kind", "fabric", "owner")

    def render_owner(self, record: Wwpn) -> str:
        owner = record.port or record.virtual_adapter or record.storage_port
        if owner is None:  # the database refuses a WWPN without an owner
            return "—"
        return format_html('<a href="{}">{}</a>', owner.get_absolute_url(), owner)

    def value_owner(self, record: Wwpn) -> str:
        return str(record.port or record.virtual_adapter or record.storage_port)
