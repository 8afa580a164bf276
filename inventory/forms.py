"""Forms of the inventory pages. Model validation (`full_clean()`) runs in every ModelForm, so a
rule that fails is shown next to its field; writes with side rows go through the services."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import BaseModelFormSet, modelformset_factory

from inventory import services
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


def bootstrap(fields) -> None:
    """Give every widget its Bootstrap class."""
    for field in fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class ListField(forms.CharField):
    """A list typed as comma-separated words (compatibility modes, backing devices)."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value) -> list[str]:
        if isinstance(value, list | tuple):
            return list(value)
        text = super().to_python(value)
        return [item.strip() for item in text.replace(";", ",").split(",") if item.strip()]

    def has_changed(self, initial, data) -> bool:
        return self.to_python(initial or []) != self.to_python(data)


class InventoryForm(forms.ModelForm):
    """A model form that saves through `save_checked()`, which services may extend."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self.fields)

    def save_checked(self):
        return self.save()


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
        fields = ["name", "host", "ssh_port", "username", "password", "private_key",
                  "rest_port", "version", "host_key"]  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
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
        fields = ["name", "machine_type", "model", "serial", "hmc", "processor_generation",
                  "compat_modes", "proc_units", "memory_mb", "memory_region_mb",
                  "firmware_level", "max_active_migrations", "state",
                  "evacuation_target"]  # fmt: skip


class LparForm(InventoryForm):
    class Meta:
        model = Lpar
        fields = ["frame", "name", "lpar_id", "kind", "state", "proc_mode", "proc_units",
                  "virtual_procs", "memory_mb", "compat_mode", "shared_pool", "msp",
                  "max_virtual_slots", "profile_name", "stub_of", "notes"]  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        pools = SharedProcessorPool.objects.select_related("frame")
        if self.instance.frame_id:
            pools = pools.filter(frame_id=self.instance.frame_id)
        self.fields["shared_pool"].queryset = pools
        self.fields["stub_of"].queryset = Lpar.objects.select_related("frame").exclude(kind="vios")
        # Left empty (or by a form that predates it), it keeps the LPAR's value or the default.
        self.fields["max_virtual_slots"].required = False

    def clean_max_virtual_slots(self) -> int:
        value = self.cleaned_data.get("max_virtual_slots")
        return self.instance.max_virtual_slots if value is None else value


class PortForm(InventoryForm):
    wwpn = forms.CharField(required=False, label="WWPN", help_text="FC ports: any spelling.")
    fabric = forms.ModelChoiceField(Fabric.objects.all(), required=False)

    class Meta:
        model = Port
        fields = ["adapter", "name", "wwpn", "fabric", "mac", "switch_port", "speed_gbps"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        current = (
            Wwpn.objects.filter(port_id=self.instance.pk).first() if self.instance.pk else None
        )
        if current:
            self.initial.setdefault("wwpn", current.value)
            self.initial.setdefault("fabric", current.fabric_id)
        self.fields["adapter"].queryset = Adapter.objects.select_related("slot__drawer")

    @transaction.atomic
    def save_checked(self):
        port = self.save()
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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        current = (
            Wwpn.objects.filter(storage_port_id=self.instance.pk).first()
            if self.instance.pk
            else None
        )
        if current:
            self.initial.setdefault("wwpn", current.value)

    @transaction.atomic
    def save_checked(self):
        storage_port = self.save()
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
ADAPTER_EMPTY = {"pvid": None, "vswitch": "", "trunk_priority": None, "remote_lpar": None,
                 "remote_slot": None, "physical_port": None, "backing_devices": []}  # fmt: skip


class VirtualAdapterForm(InventoryForm):
    """Shows the fields of the adapter's kind and role only (the page reloads with the others
    when the kind or role is changed); saving empties what belongs to another kind or role."""

    per_kind = True  # False: every field, whatever the kind (a grid row keeps its columns)
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
        fields = ["lpar", "kind", "role", "slot", "remote_lpar", "remote_slot", "pvid", "vlans",
                  "vswitch", "trunk_priority", "physical_port", "backing_devices",
                  "device_name"]  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        lpars = Lpar.objects.select_related("frame")
        frame_id = self.instance.lpar.frame_id if self.instance.lpar_id else None
        if frame_id:
            lpars = lpars.filter(frame_id=frame_id)
        self.fields["remote_lpar"].queryset = lpars
        if "physical_port" in self.fields:
            self.fields["physical_port"].queryset = Port.objects.filter(
                adapter__kind="fc"
            ).select_related("adapter__slot__drawer")
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
            return self.data.get(self.add_prefix(name), "")
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
        super()._post_clean()

    def wwpn_pair(self) -> list[str] | None:
        given = [self.cleaned_data.get("wwpn1"), self.cleaned_data.get("wwpn2")]
        if not any(given) and self.instance.pk:
            return None
        return [value for value in given if value]

    @transaction.atomic
    def save_checked(self):
        adapter = self.save(commit=False)
        is_vfc_client = adapter.kind == "vfc" and adapter.role == "client"
        vlans = self.cleaned_data.get("vlans")
        if "vlans" in self.other_fields:
            vlans = []  # tagged VLANs are an Ethernet adapter's only
        return services.virtual_adapter_save(
            adapter=adapter,
            vlans=vlans,
            wwpns=self.wwpn_pair() if is_vfc_client else [],
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


def form_class_for(model) -> type[InventoryForm]:
    if model in FORMS:
        return FORMS[model]
    return forms.modelform_factory(model, form=InventoryForm, fields="__all__")


def errors_to_form(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form's fields (or on top of the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


LEAVE_UNCHANGED = "— leave unchanged —"


def _clearable(model_field) -> bool:
    """True when the model allows the field to be empty, so a bulk edit may empty it."""
    if model_field.null:
        return True
    return model_field.blank and model_field.empty_strings_allowed and not model_field.is_relation


class BulkEditForm(forms.Form):
    """The fields a bulk edit may set. Every field starts empty and an empty field is left as it
    is: choices, booleans and foreign keys offer "leave unchanged" first (never the model's
    default), and a field the model allows to be empty has a "Clear" tick to empty it on
    purpose."""

    def __init__(self, *args, model, field_names, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        base = forms.modelform_factory(model, fields=field_names)()
        self.model_fields = {name: model._meta.get_field(name) for name in field_names}
        for name, model_field in self.model_fields.items():
            field = base.fields[name]
            if isinstance(field, forms.BooleanField | forms.NullBooleanField):
                field = forms.NullBooleanField(
                    label=field.label, help_text=field.help_text,
                    widget=forms.Select(
                        choices=[("unknown", LEAVE_UNCHANGED), ("true", "Yes"), ("false", "No")]
                    ),
                )  # fmt: skip
            elif isinstance(field, forms.ModelChoiceField):
                field.empty_label = LEAVE_UNCHANGED
            elif isinstance(field, forms.ChoiceField):
                field.choices = [
                    ("", LEAVE_UNCHANGED),
                    *((value, label) for value, label in field.choices if value != ""),
                ]
            field.required = False
            field.initial = None
            self.fields[name] = field
            if _clearable(model_field):
                self.fields[f"clear_{name}"] = forms.BooleanField(
                    required=False, label=f"Clear {model_field.verbose_name}",
                    help_text="Tick to empty this field on every selected row.",
                )  # fmt: skip
        bootstrap(self.fields)

    @staticmethod
    def _set(value) -> bool:
        return value not in (None, "", [])

    def clean(self) -> dict:
        data = super().clean()
        for name in self.model_fields:
            if data.get(f"clear_{name}") and self._set(data.get(name)):
                self.add_error(name, "Set a value or tick Clear, not both.")
        return data

    def changes(self) -> dict:
        """Exactly the fields the user set (or ticked to clear), with their new values."""
        changes = {}
        for name, model_field in self.model_fields.items():
            if self.cleaned_data.get(f"clear_{name}"):
                changes[name] = None if model_field.null else ""
            elif self._set(self.cleaned_data.get(name)):
                changes[name] = self.cleaned_data[name]
        return changes


# -- Grids: many rows edited at once, one Save, all or nothing ------------------------------


class VirtualAdapterGridForm(VirtualAdapterForm):
    per_kind = False
    backing_devices = None  # not a grid column

    class Meta(VirtualAdapterForm.Meta):
        fields = ["kind", "role", "slot", "remote_lpar", "remote_slot", "pvid", "device_name"]


class GridFormSet(BaseModelFormSet):
    """Saves every row through its form's `save_checked()` inside one transaction; a row that
    fails puts its error on its own cells and undoes the whole save."""

    unique_field: str | None = "slot"

    def clean(self) -> None:
        super().clean()
        if self.unique_field is None:
            return
        rows: dict[object, list[tuple[int, forms.Form]]] = {}
        for index, form in enumerate(self.forms, start=1):
            if not form.has_changed() and not form.instance.pk:
                continue
            if self.can_delete and self._should_delete_form(form):
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

    def validate_unique(self) -> None:
        # Duplicates inside the grid are reported per cell by clean(); against the database by
        # each row's model validation.
        return None

    def save_all(self) -> bool:
        try:
            with transaction.atomic():
                failed = False
                for form in self.forms:
                    if self.can_delete and self._should_delete_form(form):
                        if form.instance.pk:
                            form.instance.delete()
                        continue
                    if not form.has_changed():
                        continue
                    try:
                        form.save_checked()
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


def virtual_adapter_grid(lpar: Lpar, data=None):
    formset_class = modelformset_factory(
        VirtualAdapter, form=VirtualAdapterGridForm, formset=GridFormSet, extra=1,
        can_delete=True,
    )  # fmt: skip
    formset = formset_class(
        data,
        queryset=lpar.virtual_adapters.order_by("slot").prefetch_related("wwpns", "vlans"),
        prefix="va",
    )
    for form in formset.forms:
        form.instance.lpar = lpar
        form.fields["remote_lpar"].queryset = Lpar.objects.filter(frame_id=lpar.frame_id)
    formset.empty_form.fields["remote_lpar"].queryset = Lpar.objects.filter(frame_id=lpar.frame_id)
    return formset


class SlotGridForm(forms.ModelForm):
    """A row of a frame's slot grid: the slot and the adapter in it (empty kind = no card)."""

    adapter_kind = forms.ChoiceField(
        choices=[("", "— empty —"), *Adapter._meta.get_field("kind").choices],
        required=False,
        label="Adapter",
    )
    feature_code = forms.CharField(required=False, max_length=16)
    owner = forms.ModelChoiceField(Lpar.objects.none(), required=False)

    class Meta:
        model = Slot
        fields = ["bus", "drc_index", "description"]

    def __init__(self, *args, frame: Frame, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Lpar.objects.filter(frame=frame)
        adapter = getattr(self.instance, "adapter", None) if self.instance.pk else None
        if adapter:
            self.initial.update(
                adapter_kind=adapter.kind, feature_code=adapter.feature_code,
                owner=adapter.owner_id,
            )  # fmt: skip
        bootstrap(self.fields)

    def save_checked(self):
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


def slot_grid(frame: Frame, data=None):
    formset_class = modelformset_factory(
        Slot, form=SlotGridForm, formset=GridFormSet, extra=0, can_delete=False
    )
    formset_class.unique_field = None
    return formset_class(
        data,
        queryset=Slot.objects.filter(drawer__frame=frame)
        .select_related("drawer", "adapter")
        .order_by("drawer__location", "location"),
        prefix="slot",
        form_kwargs={"frame": frame},
    )
