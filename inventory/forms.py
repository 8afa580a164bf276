"""Forms of the inventory pages. Model validation (`full_clean()`) runs in every ModelForm, so a
rule that fails is shown next to its field; writes with side rows go through the services."""

from collections.abc import Mapping
from typing import Any, Protocol, cast, runtime_checkable

from django import forms
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms import BaseModelFormSet, modelformset_factory
from django.forms.formsets import DELETION_FIELD_NAME

from inventory import services
from inventory.bulk_validation import concrete_field
from inventory.choices import AdapterKind
from inventory.display import choice_label, label_text
from inventory.models import (
    Adapter,
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
from inventory.widgets import SearchSelect


def bootstrap(fields: Mapping[str, forms.Field]) -> None:
    """Give every widget its Bootstrap class, and every label its acronyms ("LPAR", "HMC")."""
    for field in fields.values():
        if isinstance(field.label, str):
            field.label = label_text(field.label)
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def _limit(field: forms.Field, queryset: QuerySet[Any]) -> None:
    """Offer only `queryset` in a model choice field."""
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class ListField(forms.Field):
    """A list typed as comma-separated words (compatibility modes, backing devices)."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list | tuple):
            return list(value)
        text = "" if value in self.empty_values else str(value)
        return [item.strip() for item in text.replace(";", ",").split(",") if item.strip()]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial or []) != self.to_python(data)


def searchable(fields: Mapping[str, forms.Field], *, local: tuple[str, ...] = ()) -> None:
    """Related objects are chosen by name, with their frame where names repeat. A field may
    take any of thousands of rows: the browser searches them on the server and only the chosen
    one is in the page. The fields named in `local` are limited by the form to a few rows (an
    LPAR's frame's pools): they search their own options."""
    for name, field in fields.items():
        if not isinstance(field, forms.ModelChoiceField) or field.queryset is None:
            continue
        model = field.queryset.model
        if field.to_field_name not in (None, model._meta.pk.name):
            continue  # chosen by another key (a PVID by its VLAN id): a plain select
        # Django's documented way is a subclass; one function for every field does the same.
        field.label_from_instance = choice_label  # type: ignore[method-assign, assignment]
        if isinstance(field, forms.ModelMultipleChoiceField):
            continue
        if name in local:
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} searchable"
        else:
            empty_label = None if field.empty_label is None else str(field.empty_label)
            field.widget = SearchSelect(model, empty_label=empty_label, attrs=field.widget.attrs)


class InventoryForm(forms.ModelForm[Any]):
    """A model form that saves through `save_checked()`, which services may extend."""

    # Related fields the form limits to a few rows (set in its __init__): choices in the page.
    local_choices: tuple[str, ...] = ()
    # Grid rows keep plain selects: a pasted name matches an option's text.
    names_searchable = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self.fields)
        if self.names_searchable:
            searchable(self.fields, local=self.local_choices)

    def save_checked(self) -> InventoryModel:
        saved: InventoryModel = self.save()
        return saved


class HmcForm(InventoryForm):
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the stored password.",
    )

    private_key = forms.CharField(
        required=False,
        label="SSH private key",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="Leave empty to keep the stored key. Stored encrypted, never shown again.",
    )

    class Meta:
        model = Hmc
        fields = [
            "name",
            "host",
            "ssh_port",
            "username",
            "password",
            "private_key",
            "rest_port",
            "version",
            "host_key",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Secrets are write-only: the form never sends a stored one back to the browser.
        for name in Hmc.SECRET_FIELDS:
            self.initial[name] = ""

    def clean_password(self) -> str:
        return self.cleaned_data["password"] or (self.instance.password if self.instance.pk else "")

    def clean_private_key(self) -> str:
        given = self.cleaned_data["private_key"].strip()
        return given or (self.instance.private_key if self.instance.pk else "")


class FrameForm(InventoryForm):
    compat_modes = ListField(
        required=False,
        help_text="Comma-separated, as the HMC lists them (lpar_proc_compat_modes).",
    )

    class Meta:
        model = Frame
        fields = [
            "name",
            "machine_type",
            "model",
            "serial",
            "hmc",
            "processor_generation",
            "compat_modes",
            "proc_units",
            "memory_mb",
            "memory_region_mb",
            "firmware_level",
            "max_active_migrations",
            "state",
            "evacuation_target",
        ]


class LparForm(InventoryForm):
    local_choices = ("shared_pool",)

    class Meta:
        model = Lpar
        fields = [
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
            "max_virtual_slots",
            "profile_name",
            "stub_of",
            "notes",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pools = SharedProcessorPool.objects.select_related("frame")
        if self.instance.frame_id:
            pools = pools.filter(frame_id=self.instance.frame_id)
        _limit(self.fields["shared_pool"], pools)
        _limit(self.fields["stub_of"], Lpar.objects.select_related("frame").exclude(kind="vios"))
        # Left empty (or by a form that predates it), it keeps the LPAR's value or the default.
        self.fields["max_virtual_slots"].required = False

    def clean_max_virtual_slots(self) -> int:
        value: int | None = self.cleaned_data.get("max_virtual_slots")
        stored: int = self.instance.max_virtual_slots
        return stored if value is None else value


class PortForm(InventoryForm):
    wwpn = forms.CharField(required=False, label="WWPN", help_text="FC ports: any spelling.")
    fabric = forms.ModelChoiceField(Fabric.objects.all(), required=False)

    class Meta:
        model = Port
        fields = ["adapter", "name", "wwpn", "fabric", "mac", "switch_port", "speed_gbps"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = (
            Wwpn.objects.filter(port_id=self.instance.pk).first() if self.instance.pk else None
        )
        if current:
            self.initial.setdefault("wwpn", current.value)
            self.initial.setdefault("fabric", current.fabric_id)
        _limit(self.fields["adapter"], Adapter.objects.select_related("slot__drawer"))

    @transaction.atomic
    def save_checked(self) -> Port:
        port: Port = self.save()
        try:
            services.port_wwpn_set(
                port=port, value=self.cleaned_data["wwpn"], fabric=self.cleaned_data["fabric"]
            )
        except ValidationError as error:
            raise ValidationError({"wwpn": error.messages}) from None
        return port


class StoragePortForm(InventoryForm):
    wwpn = forms.CharField(label="WWPN", help_text="Any spelling: colons, dashes, any case.")

    class Meta:
        model = StoragePort
        fields = ["array", "name", "wwpn", "fabric"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = (
            Wwpn.objects.filter(storage_port_id=self.instance.pk).first()
            if self.instance.pk
            else None
        )
        if current:
            self.initial.setdefault("wwpn", current.value)

    @transaction.atomic
    def save_checked(self) -> StoragePort:
        storage_port: StoragePort = self.save()
        try:
            services.storage_port_wwpn_set(
                storage_port=storage_port, value=self.cleaned_data["wwpn"]
            )
        except ValidationError as error:
            raise ValidationError({"wwpn": error.messages}) from None
        return storage_port


class WwpnForm(InventoryForm):
    """WWPNs are created with their port, adapter or storage port; here only the fabric."""

    class Meta:
        model = Wwpn
        fields = ["fabric"]


# The fields each kind and role of virtual adapter has, beyond those every adapter has.
ADAPTER_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("ethernet", "client"): ("pvid", "vlans", "vswitch"),
    ("ethernet", "trunk"): ("pvid", "vlans", "vswitch", "trunk_priority"),
    ("vscsi", "client"): ("remote_lpar", "remote_slot"),
    ("vscsi", "server"): ("remote_lpar", "remote_slot", "backing_devices"),
    ("vfc", "client"): ("remote_lpar", "remote_slot", "wwpn1", "wwpn2"),
    ("vfc", "server"): ("remote_lpar", "remote_slot", "physical_port"),
}
ADAPTER_COMMON_FIELDS = ("lpar", "kind", "role", "slot", "device_name")
# What a field of another kind or role becomes when an adapter's kind or role changes.
ADAPTER_EMPTY: dict[str, object] = {
    "pvid": None,
    "vswitch": "",
    "trunk_priority": None,
    "remote_lpar": None,
    "remote_slot": None,
    "physical_port": None,
    "backing_devices": [],
}


class VirtualAdapterForm(InventoryForm):
    """Shows the fields of the adapter's kind and role only (the page reloads with the others
    when the kind or role is changed); saving empties what belongs to another kind or role."""

    per_kind = True  # False: every field, whatever the kind (a grid row keeps its columns)
    local_choices = ("remote_lpar",)

    wwpn1 = forms.CharField(required=False, label="WWPN 1", help_text="vFC client: primary.")
    wwpn2 = forms.CharField(required=False, label="WWPN 2", help_text="vFC client: secondary.")
    backing_devices = ListField(
        required=False, help_text="vSCSI server: comma-separated, in mapping order."
    )
    pvid = forms.ModelChoiceField(
        Vlan.objects.all(), required=False, to_field_name="vlan_id", label="PVID"
    )

    class Meta:
        model = VirtualAdapter
        fields = [
            "lpar",
            "kind",
            "role",
            "slot",
            "remote_lpar",
            "remote_slot",
            "pvid",
            "vlans",
            "vswitch",
            "trunk_priority",
            "physical_port",
            "backing_devices",
            "device_name",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lpars = Lpar.objects.select_related("frame")
        frame_id = self.instance.lpar.frame_id if self.instance.lpar_id else None
        if frame_id:
            lpars = lpars.filter(frame_id=frame_id)
        _limit(self.fields["remote_lpar"], lpars)
        if "physical_port" in self.fields:
            ports = Port.objects.filter(adapter__kind="fc").select_related("adapter__slot__drawer")
            _limit(self.fields["physical_port"], ports)
        if self.instance.pk:
            for wwpn in self.instance.wwpns.all():
                self.initial.setdefault(f"wwpn{wwpn.position}", wwpn.value)
        self.other_fields: set[str] = set()
        if self.per_kind:
            for name in ("kind", "role"):
                self.fields[name].widget.attrs["data-reload-on-change"] = ""
            self.other_fields = self._kind_fields_only()

    def _chosen(self, name: str) -> str:
        """The kind or role: as posted, else as asked for (initial), else the adapter's."""
        if self.is_bound:
            return str(self.data.get(self.add_prefix(name), ""))
        return str(self.initial.get(name) or getattr(self.instance, name, "") or "")

    def _kind_fields_only(self) -> set[str]:
        """Drop the fields of other kinds and roles; returns their names. A combination that
        does not exist (Ethernet server, vSCSI trunk) keeps every field: the model says why."""
        own = ADAPTER_FIELDS.get((self._chosen("kind"), self._chosen("role")))
        if own is None:
            return set()
        others = {n for n in self.fields if n not in own and n not in ADAPTER_COMMON_FIELDS}
        for name in others:
            del self.fields[name]
        return others

    def _post_clean(self) -> None:
        # Before the model's validation: what belongs to another kind or role goes.
        for name in self.other_fields:
            if name in ADAPTER_EMPTY:
                setattr(self.instance, name, ADAPTER_EMPTY[name])
        super()._post_clean()  # type: ignore[misc]  # Django's, not in the stubs

    def wwpn_pair(self) -> list[str] | None:
        given = [self.cleaned_data.get("wwpn1"), self.cleaned_data.get("wwpn2")]
        if not any(given) and self.instance.pk:
            return None
        return [value for value in given if value]

    @transaction.atomic
    def save_checked(self) -> VirtualAdapter:
        adapter: VirtualAdapter = self.save(commit=False)
        vlans = self.cleaned_data.get("vlans")
        if "vlans" in self.other_fields:
            vlans = []  # tagged VLANs are an Ethernet adapter's only
        return services.virtual_adapter_save(
            adapter=adapter,
            vlans=vlans,
            wwpns=self.wwpn_pair() if adapter.is_vfc_client else [],
        )


FORMS = {
    Hmc: HmcForm,
    Frame: FrameForm,
    Lpar: LparForm,
    Port: PortForm,
    StoragePort: StoragePortForm,
    Wwpn: WwpnForm,
    VirtualAdapter: VirtualAdapterForm,
}


def form_class_for(model: type[models.Model]) -> type[InventoryForm]:
    if model in FORMS:
        return FORMS[model]
    # The factory makes a subclass of `form`; the stubs only know it is a ModelForm.
    return cast(
        type[InventoryForm], forms.modelform_factory(model, form=InventoryForm, fields="__all__")
    )


def errors_to_form(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form's fields (or on top of the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


LEAVE_UNCHANGED = "— leave unchanged —"


def _clearable(model_field: models.Field[Any, Any]) -> bool:
    """True when the model allows the field to be empty, so a bulk edit may empty it."""
    if model_field.null:
        return True
    return model_field.blank and model_field.empty_strings_allowed and not model_field.is_relation


class BulkEditForm(forms.Form):
    """The fields a bulk edit may set. Every field starts empty and an empty field is left as it
    is: choices, booleans and foreign keys offer "leave unchanged" first (never the model's
    default), and a field the model allows to be empty has a "Clear" tick to empty it on
    purpose."""

    def __init__(
        self, *args: Any, model: type[models.Model], field_names: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        base = forms.modelform_factory(model, fields=field_names)()
        self.model_fields = {name: concrete_field(model, name) for name in field_names}
        for name, model_field in self.model_fields.items():
            field = base.fields[name]
            if isinstance(field, forms.BooleanField | forms.NullBooleanField):
                field = forms.NullBooleanField(
                    label=field.label,
                    help_text=field.help_text,
                    widget=forms.Select(
                        choices=[("unknown", LEAVE_UNCHANGED), ("true", "Yes"), ("false", "No")]
                    ),
                )
            elif isinstance(field, forms.ModelChoiceField):
                field.empty_label = LEAVE_UNCHANGED
            elif isinstance(field, forms.ChoiceField):
                offered: Any = field.choices  # normalised to a list by the field
                field.choices = [
                    ("", LEAVE_UNCHANGED),
                    *((value, label) for value, label in offered if value != ""),
                ]
            field.required = False
            field.initial = None
            self.fields[name] = field
            if _clearable(model_field):
                self.fields[f"clear_{name}"] = forms.BooleanField(
                    required=False,
                    label=f"Clear {model_field.verbose_name}",
                    help_text="Tick to empty this field on every selected row.",
                )
        bootstrap(self.fields)
        searchable(self.fields)

    @staticmethod
    def _set(value: Any) -> bool:
        return value not in (None, "", [])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in self.model_fields:
            if data.get(f"clear_{name}") and self._set(data.get(name)):
                self.add_error(name, "Set a value or tick Clear, not both.")
        return data

    def changes(self) -> dict[str, Any]:
        """Exactly the fields the user set (or ticked to clear), with their new values."""
        changes: dict[str, Any] = {}
        for name, model_field in self.model_fields.items():
            if self.cleaned_data.get(f"clear_{name}"):
                changes[name] = None if model_field.null else ""
            elif self._set(self.cleaned_data.get(name)):
                changes[name] = self.cleaned_data[name]
        return changes


# -- Grids: many rows edited at once, one Save, all or nothing ------------------------------


class VirtualAdapterGridForm(VirtualAdapterForm):
    per_kind = False
    backing_devices = None  # type: ignore[assignment]  # Django's way to drop a field: no column
    names_searchable = False

    class Meta(VirtualAdapterForm.Meta):
        fields = ["kind", "role", "slot", "remote_lpar", "remote_slot", "pvid", "device_name"]


@runtime_checkable
class _SavesChecked(Protocol):
    def save_checked(self) -> models.Model: ...


class GridFormSet(BaseModelFormSet[Any, Any]):
    """Saves every row through its form's `save_checked()` inside one transaction; a row that
    fails puts its error on its own cells and undoes the whole save."""

    unique_field: str | None = "slot"

    def clean(self) -> None:
        super().clean()
        if self.unique_field is None:
            return
        rows: dict[object, list[tuple[int, forms.ModelForm[Any]]]] = {}
        for index, form in enumerate(self.forms, start=1):
            if not form.has_changed() and not form.instance.pk:
                continue
            if self._deleting(form):
                continue
            value = form.cleaned_data.get(self.unique_field)
            if value is not None:
                rows.setdefault(value, []).append((index, form))
        for value, users in rows.items():
            if len(users) < 2:
                continue
            # Blame the rows whose cell was edited; if none was, every row after the first.
            edited = [(i, f) for i, f in users if self.unique_field in f.changed_data]
            for index, form in edited or users[1:]:
                others = ", ".join(str(i) for i, _ in users if i != index)
                form.add_error(self.unique_field, f"{value} is also used in row {others}.")

    def _deleting(self, form: forms.BaseForm) -> bool:
        return bool(self.can_delete and form.cleaned_data.get(DELETION_FIELD_NAME, False))

    def validate_unique(self) -> None:
        # Duplicates inside the grid are reported per cell by clean(); against the database by
        # each row's model validation.
        return None

    def save_all(self) -> bool:
        try:
            with transaction.atomic():
                failed = False
                for form in self.forms:
                    if self._deleting(form):
                        if form.instance.pk:
                            form.instance.delete()
                        continue
                    if not form.has_changed():
                        continue
                    checked = form
                    assert isinstance(checked, _SavesChecked)  # the grids' forms
                    try:
                        checked.save_checked()
                    except ValidationError as error:
                        errors_to_form(form, error)
                        failed = True
                if failed:
                    raise _GridRollback
        except _GridRollback:
            return False
        return True


class _GridRollback(Exception):
    """Raised inside the grid's transaction to undo rows saved before a failing one."""


def virtual_adapter_grid(lpar: Lpar, data: Mapping[str, Any] | None = None) -> GridFormSet:
    # The factory makes a subclass of `formset`; the stubs only know it is a BaseModelFormSet.
    formset_class = cast(
        type[GridFormSet],
        modelformset_factory(
            VirtualAdapter,
            form=VirtualAdapterGridForm,
            formset=GridFormSet,
            extra=1,
            can_delete=True,
        ),
    )
    formset = formset_class(
        data,
        queryset=lpar.virtual_adapters.order_by("slot").prefetch_related("wwpns", "vlans"),
        prefix="va",
    )
    same_frame = Lpar.objects.filter(frame_id=lpar.frame_id).select_related("frame")
    for form in formset.forms:
        form.instance.lpar = lpar
        _limit(form.fields["remote_lpar"], same_frame)
    _limit(formset.empty_form.fields["remote_lpar"], same_frame)
    return formset


class SlotGridForm(forms.ModelForm[Slot]):
    """A row of a frame's slot grid: the slot and the adapter in it (empty kind = no card)."""

    adapter_kind = forms.ChoiceField(
        choices=[("", "— empty —"), *AdapterKind.choices],
        required=False,
        label="Adapter",
    )
    feature_code = forms.CharField(required=False, max_length=16)
    owner = forms.ModelChoiceField(Lpar.objects.none(), required=False)

    class Meta:
        model = Slot
        fields = ["bus", "drc_index", "description"]

    def __init__(self, *args: Any, frame: Frame, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit(self.fields["owner"], Lpar.objects.filter(frame=frame).select_related("frame"))
        adapter = getattr(self.instance, "adapter", None) if self.instance.pk else None
        if adapter:
            self.initial.update(
                adapter_kind=adapter.kind,
                feature_code=adapter.feature_code,
                owner=adapter.owner_id,
            )
        bootstrap(self.fields)

    def save_checked(self) -> Slot:
        slot = services.object_save(instance=self.save(commit=False))
        adapter = Adapter.objects.filter(slot=slot).first()
        kind = self.cleaned_data["adapter_kind"]
        if not kind:
            if adapter:
                adapter.delete()
            return slot
        adapter = adapter or Adapter(slot=slot)
        adapter.kind = kind
        adapter.feature_code = self.cleaned_data["feature_code"]
        adapter.owner = self.cleaned_data["owner"]
        try:
            services.object_save(instance=adapter)
        except ValidationError as error:
            fields = {"kind": "adapter_kind"}
            raise ValidationError(
                {fields.get(k, k): v for k, v in error.message_dict.items()}
            ) from None
        return slot


class SlotGridFormSet(GridFormSet):
    unique_field = None  # a slot's location is not edited in the grid


def slot_grid(frame: Frame, data: Mapping[str, Any] | None = None) -> GridFormSet:
    formset_class = cast(
        type[GridFormSet],
        modelformset_factory(
            Slot, form=SlotGridForm, formset=SlotGridFormSet, extra=0, can_delete=False
        ),
    )
    return formset_class(
        data,
        queryset=Slot.objects.filter(drawer__frame=frame)
        .select_related("drawer", "adapter")
        .order_by("drawer__location", "location"),
        prefix="slot",
        form_kwargs={"frame": frame},
    )
