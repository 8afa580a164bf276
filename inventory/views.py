"""Inventory pages: a list, detail, edit and delete page per model (from one registry), bulk
edit, the grids, the frame and LPAR detail pages and the change history."""

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Field, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.debug import sensitive_post_parameters
from django_tables2 import RequestConfig

from inventory import display, filtersets, forms, history, selectors, services, tables
from inventory.display import choice_label, label_text, labelled
from inventory.fields import EncryptedTextField
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
from inventory.models.base import InventoryModel
from inventory.search import estate_search
from inventory.widgets import SearchSelect
from lpmplanner.exceptions import Conflict
from lpmplanner.permissions import require
from lpmplanner.security.stepup import second_factor_fresh, step_up_refuse

PER_PAGE_CHOICES = (25, 50, 100, 250)
EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ObjectType:
    """How one model appears in the browser."""

    model: type[InventoryModel]
    slug: str
    table: type[tables.InventoryTable]
    filterset: type[Any]  # a django-filter FilterSet (untyped)
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    bulk_fields: tuple[str, ...] = ()
    annotations: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return label_text(str(self.model._meta.verbose_name_plural))

    @property
    def plural(self) -> str:
        """The plural in a sentence: "3 LPARs", "3 shared processor pools"."""
        return str(self.model._meta.verbose_name_plural)

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def model_name(self) -> str:
        return str(self.model._meta.model_name)

    def perm(self, action: str) -> str:
        return f"inventory.{action}_{self.model_name}"

    def queryset(self) -> QuerySet[InventoryModel]:
        queryset = self.model._default_manager.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        if self.annotations:
            # An aggregate groups the rows, and grouped queries drop Meta.ordering: restate it.
            queryset = queryset.annotate(**self.annotations).order_by(
                *(self.model._meta.ordering or ())
            )
        return queryset


OBJECT_TYPES = (
    ObjectType(Hmc, "hmcs", tables.HmcTable, filtersets.HmcFilterSet),
    ObjectType(
        Frame,
        "frames",
        tables.FrameTable,
        filtersets.FrameFilterSet,
        select_related=("hmc",),
        annotations={"lpar_count": Count("lpars")},
        bulk_fields=("hmc", "state", "firmware_level", "max_active_migrations"),
    ),
    ObjectType(
        Drawer,
        "drawers",
        tables.DrawerTable,
        filtersets.DrawerFilterSet,
        select_related=("frame",),
        bulk_fields=("kind",),
    ),
    ObjectType(
        Slot,
        "slots",
        tables.SlotTable,
        filtersets.SlotFilterSet,
        select_related=("drawer__frame", "adapter__owner"),
        bulk_fields=("description",),
    ),
    ObjectType(
        Adapter,
        "adapters",
        tables.AdapterTable,
        filtersets.AdapterFilterSet,
        select_related=("slot__drawer__frame", "owner"),
        bulk_fields=("kind", "feature_code", "owner"),
    ),
    ObjectType(
        Port,
        "ports",
        tables.PortTable,
        filtersets.PortFilterSet,
        select_related=("adapter__slot__drawer", "wwpn__fabric"),
        bulk_fields=("speed_gbps",),
    ),
    ObjectType(Vlan, "vlans", tables.VlanTable, filtersets.VlanFilterSet),
    ObjectType(
        Fabric,
        "fabrics",
        tables.FabricTable,
        filtersets.FabricFilterSet,
        bulk_fields=("zoning_style",),
    ),
    ObjectType(
        StoragePort,
        "storage-ports",
        tables.StoragePortTable,
        filtersets.StoragePortFilterSet,
        select_related=("fabric", "wwpn"),
        bulk_fields=("array",),
    ),
    ObjectType(
        SharedProcessorPool,
        "shared-pools",
        tables.SharedProcessorPoolTable,
        filtersets.SharedProcessorPoolFilterSet,
        select_related=("frame",),
    ),
    ObjectType(
        Lpar,
        "lpars",
        tables.LparTable,
        filtersets.LparFilterSet,
        select_related=("frame", "shared_pool", "stub_of"),
        bulk_fields=("state", "shared_pool", "compat_mode", "proc_mode", "profile_name"),
    ),
    ObjectType(
        VirtualAdapter,
        "virtual-adapters",
        tables.VirtualAdapterTable,
        filtersets.VirtualAdapterFilterSet,
        select_related=("lpar", "remote_lpar"),
        prefetch_related=("wwpns",),
        bulk_fields=("vswitch", "remote_lpar"),
    ),
    ObjectType(
        Wwpn,
        "wwpns",
        tables.WwpnTable,
        filtersets.WwpnFilterSet,
        select_related=(
            "fabric",
            "port__adapter__slot__drawer",
            "virtual_adapter__lpar__frame",
            "storage_port",
        ),
        bulk_fields=("fabric",),
    ),
)
BY_SLUG = {object_type.slug: object_type for object_type in OBJECT_TYPES}
BY_MODEL_NAME = {object_type.model_name: object_type for object_type in OBJECT_TYPES}


def object_type_or_404(slug: str) -> ObjectType:
    if slug not in BY_SLUG:
        raise Http404(f"There is no inventory list called {slug}.")
    return BY_SLUG[slug]


def index(request: HttpRequest) -> HttpResponse:
    sections = [
        (object_type, object_type.model._default_manager.count())
        for object_type in OBJECT_TYPES
        if request.user.has_perm(object_type.perm("view"))
    ]
    return render(request, "inventory/index.html", {"sections": sections})


OPTIONS_LIMIT = 20
# The text a searchable select matches, per model (its name, or what stands for one).
OPTION_FIELDS = {
    Drawer: "location",
    Slot: "location",
    Adapter: "slot__location",
    Vlan: "name",
    VirtualAdapter: "lpar__name",
    Wwpn: "value",
}


def object_options(request: HttpRequest, slug: str) -> JsonResponse:
    """The first rows whose name contains `q`, labelled as the searchable selects show them
    (`{"results": [{"value": id, "text": "vios1 (p750-a)"}]}`)."""
    object_type = object_type_or_404(slug)
    require(request, object_type.perm("view"))
    text = request.GET.get("q", "").strip()
    queryset = labelled(object_type.model)
    field_name = OPTION_FIELDS.get(object_type.model, "name")
    if text:
        queryset = queryset.filter(**{f"{field_name}__icontains": text})
    rows = queryset.order_by(field_name, "pk")[:OPTIONS_LIMIT]
    return JsonResponse({"results": [{"value": row.pk, "text": choice_label(row)} for row in rows]})


def search(request: HttpRequest) -> HttpResponse:
    """The global search's results page, grouped by kind."""
    text = request.GET.get("q", "").strip()
    groups = estate_search(text=text, user=request.user)
    return render(request, "inventory/search.html", {"q": text, "groups": groups})


def _chosen_columns(request: HttpRequest, object_type: ObjectType) -> list[str]:
    """The columns shown: `?columns=a&columns=b` when given (and remembered), else the last
    choice for this list, else all."""
    available = [name for name, _ in object_type.table.choosable_columns()]
    key = f"columns:{object_type.slug}"
    if "columns" in request.GET:
        chosen = [c for c in request.GET.getlist("columns") if c in available]
        request.session[key] = chosen
    else:
        chosen = request.session.get(key) or available
    return chosen or available


_FILTER_WIDGETS: dict[tuple[Any, ...], str] = {}
_FILTER_WIDGETS_KEPT = 4096


def _filter_widgets(filterset: Any) -> list[tuple[Any, str]]:
    """(bound field, its widget's HTML) for the filter form. A widget renders through a
    template: each distinct one is rendered once per process and then reused."""
    fields = []
    for bound in filterset.form:
        key = (type(filterset), bound.name, repr(bound.value()), bool(bound.errors))
        # A chosen related object is shown by its name, which may change: never kept.
        named = isinstance(bound.field.widget, SearchSelect) and bound.value() not in (None, "")
        html = None if named else _FILTER_WIDGETS.get(key)
        if html is None:
            html = str(bound)
            if not named and len(_FILTER_WIDGETS) < _FILTER_WIDGETS_KEPT:
                _FILTER_WIDGETS[key] = html
        fields.append((bound, html))
    return fields


def object_list(request: HttpRequest, slug: str) -> HttpResponse:
    object_type = object_type_or_404(slug)
    require(request, object_type.perm("view"))
    filterset = object_type.filterset(request.GET or None, queryset=object_type.queryset())
    forms.bootstrap(filterset.form.fields)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    columns = _chosen_columns(request, object_type)
    hidden = [name for name, _ in object_type.table.choosable_columns() if name not in columns]
    table = object_type.table(queryset, exclude=hidden)
    asked = request.GET.get("per_page", "50")
    per_page = int(asked) if asked.isdigit() and int(asked) in PER_PAGE_CHOICES else 50
    export = request.GET.get("export")
    RequestConfig(request, paginate=False if export else {"per_page": per_page}).configure(table)
    if export:
        if export not in EXPORT_FORMATS:
            return HttpResponseBadRequest(f"export must be one of {', '.join(EXPORT_FORMATS)}.")
        return tables.table_export(table, export=export, filename=f"{object_type.slug}.{export}")
    query = request.GET.copy()
    for name in ("page", "export"):
        query.pop(name, None)
    return render(
        request,
        "inventory/object_list.html",
        {
            "object_type": object_type,
            "table": table,
            "filter_fields": _filter_widgets(filterset),
            "filter_errors": filterset.form.errors if filterset.is_bound else {},
            "columns": object_type.table.choosable_columns(),
            "shown_columns": columns,
            "per_page": per_page,
            "per_page_choices": PER_PAGE_CHOICES,
            "querystring": query.urlencode(),
            "can_add": request.user.has_perm(object_type.perm("add")),
            "can_bulk_edit": bool(object_type.bulk_fields)
            and request.user.has_perm(object_type.perm("change")),
        },
    )


def _detail_fields(instance: InventoryModel) -> list[tuple[str, object, str | None]]:
    rows: list[tuple[str, object, str | None]] = []
    model = type(instance)
    for model_field in instance._meta.get_fields():
        if (
            not isinstance(model_field, Field)
            or not model_field.concrete
            or model_field.auto_created
            or isinstance(model_field, EncryptedTextField)
        ):
            continue
        label = display.field_label(model_field)
        if model_field.many_to_many:
            value = ", ".join(str(v) for v in getattr(instance, model_field.name).all()) or "—"
            rows.append((label, value, None))
            continue
        value = getattr(instance, model_field.name)
        if hasattr(value, "get_absolute_url"):
            rows.append((label, choice_label(value), value.get_absolute_url()))
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value) or "—"
        else:
            value = display.field_value(model, model_field.name, value)
        rows.append((label, value, None))
    return rows


def object_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    object_type = object_type_or_404(slug)
    require(request, object_type.perm("view"))
    instance = get_object_or_404(object_type.queryset(), pk=pk)
    own_history = history.history_manager(object_type.model).filter(id=instance.pk)
    records = own_history.select_related("history_user").order_by("-history_date")[:20]
    hidden = Hmc.SECRET_FIELDS if object_type.model is Hmc else ()
    context = {
        "object_type": object_type,
        "object": instance,
        "fields": _detail_fields(instance),
        "history": [history.change_of(r, object_type.model_name, hidden) for r in records],
        "can_change": request.user.has_perm(object_type.perm("change")),
        "can_delete": request.user.has_perm(object_type.perm("delete")),
    }
    template = "inventory/object_detail.html"
    if isinstance(instance, Frame):
        context.update(
            capacity=selectors.frame_capacity(frame=instance),
            drawers=selectors.frame_slot_map(frame=instance),
        )
        context["vios"], context["clients"] = selectors.frame_partitions(frame=instance)
        template = "inventory/frame_detail.html"
    elif isinstance(instance, Lpar):
        context.update(
            pairings=selectors.lpar_adapter_pairings(lpar=instance),
            vlan_ids=selectors.lpar_vlan_ids(lpar=instance),
            can_edit_adapters=request.user.has_perm("inventory.change_virtualadapter"),
        )
        template = "inventory/lpar_detail.html"
    elif object_type.model is Hmc:
        template = "inventory/hmc_detail.html"
    return render(request, template, context)


@sensitive_post_parameters(*Hmc.SECRET_FIELDS)  # never in an error report
def object_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    object_type = object_type_or_404(slug)
    instance: InventoryModel | None = get_object_or_404(object_type.model, pk=pk) if pk else None
    require(request, object_type.perm("change" if instance else "add"))
    form_class = forms.form_class_for(object_type.model)
    if request.method == "POST":
        # The form validates a copy: the page keeps naming the object as saved, not as refused.
        form = form_class(request.POST, instance=copy.copy(instance) if instance else None)
        if form.is_valid():
            # Where lpmplanner's SSH sessions go and how they log in: a dangerous change.
            sensitive = isinstance(form.instance, Hmc) and form.instance.sensitive_changes()
            if sensitive and not second_factor_fresh(request):
                refused: HttpResponse = step_up_refuse(request, "hmc_edit")
                return refused
            try:
                saved = form.save_checked()
            except ValidationError as error:
                forms.errors_to_form(form, error)
            else:
                verb = "Changed" if instance else "Created"
                messages.success(request, f"{verb} {object_type.model._meta.verbose_name} {saved}.")
                return redirect(saved.get_absolute_url())
    else:
        initial = {k: v for k, v in request.GET.items() if k in form_class.base_fields}
        form = form_class(instance=instance, initial=initial)
    return render(
        request,
        "inventory/object_edit.html",
        {"object_type": object_type, "object": instance, "form": form},
    )


def object_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    object_type = object_type_or_404(slug)
    require(request, object_type.perm("delete"))
    instance = get_object_or_404(object_type.model, pk=pk)
    if request.method == "POST":
        label = str(instance)
        try:
            services.object_delete(instance=instance)
        except Conflict as error:
            messages.error(request, str(error))
            return redirect(instance.get_absolute_url())
        messages.success(request, f"Deleted {object_type.model._meta.verbose_name} {label}.")
        return redirect(f"inventory:{object_type.model_name}-list")
    return render(
        request, "inventory/object_delete.html", {"object_type": object_type, "object": instance}
    )


def bulk_edit(request: HttpRequest, slug: str) -> HttpResponse:
    object_type = object_type_or_404(slug)
    require(request, object_type.perm("change"))
    if request.method != "POST" or not object_type.bulk_fields:
        return redirect(f"inventory:{object_type.model_name}-list")
    pks = [pk for pk in request.POST.getlist("pk") if pk.isdigit()]
    queryset = object_type.queryset().filter(pk__in=pks)
    form = forms.BulkEditForm(
        request.POST if "apply" in request.POST else None,
        model=object_type.model,
        field_names=list(object_type.bulk_fields),
    )
    if not pks:
        messages.warning(request, "Select at least one row to edit.")
        return redirect(f"inventory:{object_type.model_name}-list")
    if form.is_bound and form.is_valid():
        try:
            updated = services.objects_bulk_update(queryset=queryset, changes=form.changes())
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request, f"Changed {len(updated)} {object_type.model._meta.verbose_name_plural}."
            )
            return redirect(f"inventory:{object_type.model_name}-list")
    return render(
        request,
        "inventory/bulk_edit.html",
        {"object_type": object_type, "form": form, "objects": queryset, "pks": pks},
    )


def lpar_grid(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit all of an LPAR's virtual adapters at once, like spreadsheet rows."""
    require(request, "inventory.change_virtualadapter")
    lpar = get_object_or_404(Lpar.objects.select_related("frame"), pk=pk)
    formset = forms.virtual_adapter_grid(lpar, request.POST if request.method == "POST" else None)
    if request.method == "POST" and formset.is_valid() and formset.save_all():
        messages.success(request, f"Saved the virtual adapters of {lpar}.")
        return redirect(lpar.get_absolute_url())
    if request.method == "POST":
        messages.error(request, "Nothing was saved: correct the highlighted cells.")
    return render(request, "inventory/lpar_grid.html", {"lpar": lpar, "formset": formset})


def frame_slot_grid(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit all slots of a frame and the adapters in them at once."""
    require(request, "inventory.change_slot")
    require(request, "inventory.change_adapter")
    frame = get_object_or_404(Frame, pk=pk)
    formset = forms.slot_grid(frame, request.POST if request.method == "POST" else None)
    if request.method == "POST" and formset.is_valid() and formset.save_all():
        messages.success(request, f"Saved the slots of {frame}.")
        return redirect(frame.get_absolute_url())
    if request.method == "POST":
        messages.error(request, "Nothing was saved: correct the highlighted cells.")
    return render(request, "inventory/slot_grid.html", {"frame": frame, "formset": formset})


def _parse_time(value: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value) or parse_datetime(f"{value}T00:00:00")
    if parsed is None:
        raise ValidationError(
            f"“{value}” is not a date or time (use 2026-11-28 or 2026-11-28T10:00)."
        )
    return parsed


def history_index(request: HttpRequest) -> HttpResponse:
    """Every change to the inventory, newest first, filterable by user, model, time, request."""
    page_text = request.GET.get("page", "1")
    page = max(int(page_text), 1) if page_text.isdigit() else 1
    limit = 50
    error = None
    try:
        since = _parse_time(request.GET.get("since", ""))
        until = _parse_time(request.GET.get("until", ""))
    except ValidationError as exc:
        since = until = None
        error = exc.messages[0]
    changes = history.history_list(
        user=request.GET.get("user", ""),
        model=request.GET.get("model", ""),
        since=since,
        until=until,
        request_id=request.GET.get("request", ""),
        offset=(page - 1) * limit,
        limit=limit + 1,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "inventory/history.html",
        {
            "changes": changes[:limit],
            "has_next": len(changes) > limit,
            "page": page,
            "querystring": query.urlencode(),
            "models": [(t.model_name, t.model._meta.verbose_name) for t in OBJECT_TYPES],
            "error": error,
        },
    )
