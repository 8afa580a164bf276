"""The Migrate wizard's forms: which LPAR, where to, and the options (profile, wait time, mover
service partitions, each vSCSI/vFC client slot's destination VIOS, slot and, for vFC, physical
port, the shared pool, and migrlpar's own options the HMC's level takes).
They only parse; `migrations_app.lpm` judges the choices."""

from dataclasses import dataclass

from django import forms

from inventory.choices import LparKind, VirtualAdapterKind, VirtualAdapterRole
from inventory.forms import bootstrap
from inventory.models import Frame, Hmc, Lpar, VirtualAdapter
from migrations_app.lpm.options import STORAGE_KINDS, MigrationOptions, migrlpar_flags_supported
from migrations_app.models import MigrationJob
from migrations_app.windows.forms import ScheduleForm


class LparForm(forms.Form):
    """Migrations → New: the LPAR to move, found by name (an estate has thousands)."""

    lpar = forms.ModelChoiceField(queryset=Lpar.objects.exclude(kind=LparKind.VIOS), label="LPAR")
    q = forms.CharField(label="LPAR name", required=False)

    MATCHES = 50

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self.fields)

    def matches(self) -> list[Lpar]:
        """The client LPARs whose name holds the text searched for, the first `MATCHES`."""
        text = (self["q"].value() or "").strip()
        if not text:
            return []
        lpars = self.fields["lpar"].queryset.filter(name__icontains=text).select_related("frame")
        return list(lpars.order_by("name", "frame__name")[: self.MATCHES])


class DestinationForm(forms.Form):
    """Step 1: the destination frame (the page lists each with its pre-flight verdict)."""

    destination_frame = forms.ModelChoiceField(
        queryset=Frame.objects.all(), label="Destination frame"
    )

    def __init__(self, *args, lpar: Lpar, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["destination_frame"].queryset = Frame.objects.exclude(pk=lpar.frame_id)


class ViosChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Lpar) -> str:
        return f"{obj.name} (LPAR id {obj.lpar_id}, {obj.memory_mb // 1024} GB)"


@dataclass(frozen=True)
class StorageRow:
    """One vSCSI/vFC client slot of the LPAR and its two fields: destination VIOS and slot."""

    client: VirtualAdapter
    vios: forms.BoundField
    slot: forms.BoundField
    port: forms.BoundField | None = None  # vFC: the destination physical port


class MigrationForm(ScheduleForm):
    """Steps 2 to 7, laid over the proposal (`migration_defaults`): every field starts at the
    proposed value. `options()` is what the services take; `schedule()` when it starts."""

    dest_profile_name = forms.CharField(
        label="Destination profile name",
        required=False,
        max_length=31,
        help_text="Leave empty to keep the partition's current profile name.",
    )
    wait_minutes = forms.IntegerField(
        label="Wait time (minutes)",
        help_text="How long the HMC waits for the operating system to answer (migrlpar -w).",
    )
    dest_lpar_id = forms.IntegerField(label="Destination LPAR id", required=False)
    source_msp = ViosChoiceField(
        queryset=Lpar.objects.none(), label="Source mover service partition", required=False
    )
    dest_msp = ViosChoiceField(
        queryset=Lpar.objects.none(), label="Destination mover service partition", required=False
    )
    shared_pool_name = forms.ChoiceField(
        label="Destination shared processor pool",
        required=False,
        help_text="Always sent to the HMC by name, never left to its default pool.",
    )
    confirm_warnings = forms.BooleanField(
        label="I have read the warnings and want to go ahead", required=False
    )

    OPTION_FIELDS = (
        "dest_profile_name",
        "wait_minutes",
        "dest_lpar_id",
        "source_msp",
        "dest_msp",
        "shared_pool_name",
    )
    HMC_DEFAULT = ("", "The HMC's default (not sent)")

    def __init__(
        self, *args, lpar: Lpar, destination: Frame, proposal: MigrationOptions, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lpar, self.destination = lpar, destination
        self.fields["source_msp"].queryset = self._msps(lpar.frame)
        self.fields["dest_msp"].queryset = self._msps(destination)
        pools = destination.shared_pools.order_by("pool_id").values_list("name", flat=True)
        self.fields["shared_pool_name"].choices = [
            ("", "— none (dedicated processors)"),
            *((name, name) for name in pools),
        ]
        self.initial.update(
            dest_profile_name=proposal.dest_profile_name,
            wait_minutes=proposal.wait_minutes,
            dest_lpar_id=proposal.dest_lpar_id,
            source_msp=proposal.source_msp,
            dest_msp=proposal.dest_msp,
            shared_pool_name=proposal.shared_pool_name,
        )
        # migrlpar's own options, only those the source HMC's level takes.
        self.flag_fields = []
        for name in migrlpar_flags_supported(lpar.frame.hmc if lpar.frame.hmc_id else None):
            model_field = MigrationJob._meta.get_field(name)
            choices = [self.HMC_DEFAULT, *((str(v), label) for v, label in model_field.choices)]
            self.fields[name] = forms.TypedChoiceField(
                label=str(model_field.verbose_name).capitalize(),
                choices=choices,
                required=False,
                coerce=int if name == "detail_level" else str,
                empty_value=None if name == "detail_level" else "",
                help_text=model_field.help_text,
            )
            self.initial[name] = getattr(proposal, name) or ""
            self.flag_fields.append(name)
        vioses = destination.lpars.filter(kind=LparKind.VIOS).order_by("lpar_id")
        proposed = {m.client_slot: m for m in proposal.storage_mappings}
        self.clients = list(
            lpar.virtual_adapters.filter(kind__in=STORAGE_KINDS, role=VirtualAdapterRole.CLIENT)
            .select_related("remote_lpar")
            .order_by("slot")
        )
        for client in self.clients:
            mapping = proposed.get(client.slot)
            vios_label = f"Destination VIOS for client slot {client.slot}"
            slot_label = f"VIOS slot for client slot {client.slot}"
            self.fields[f"vios_{client.slot}"] = ViosChoiceField(
                queryset=vioses,
                label=vios_label,
                required=False,
                initial=mapping.vios if mapping else None,
                widget=forms.Select(attrs={"aria-label": vios_label}),
            )
            self.fields[f"slot_{client.slot}"] = forms.IntegerField(
                label=slot_label,
                required=False,
                initial=mapping.vios_slot if mapping else None,
                widget=forms.NumberInput(attrs={"aria-label": slot_label}),
            )
            if client.kind == VirtualAdapterKind.VFC:
                port_label = f"Destination physical port for client slot {client.slot}"
                self.fields[f"port_{client.slot}"] = forms.CharField(
                    label=port_label,
                    required=False,
                    max_length=8,
                    initial=mapping.fc_port if mapping else "",
                    widget=forms.TextInput(
                        attrs={"aria-label": port_label, "placeholder": "HMC chooses"}
                    ),
                )
        bootstrap(self.fields)

    @staticmethod
    def _msps(frame: Frame):
        return frame.lpars.filter(kind=LparKind.VIOS, msp=True).order_by("lpar_id")

    def storage_rows(self) -> list[StorageRow]:
        return [
            StorageRow(
                client=c,
                vios=self[f"vios_{c.slot}"],
                slot=self[f"slot_{c.slot}"],
                port=self[f"port_{c.slot}"] if f"port_{c.slot}" in self.fields else None,
            )
            for c in self.clients
        ]

    def options(self) -> dict:
        """The chosen options as `migration_create` takes them."""
        data = self.cleaned_data
        options = {name: data[name] for name in (*self.OPTION_FIELDS, *self.flag_fields)}
        options["storage_mappings"] = [
            {
                "client_slot": c.slot,
                "vios": data[f"vios_{c.slot}"],
                "vios_slot": data[f"slot_{c.slot}"],
                "fc_port": data.get(f"port_{c.slot}") or "",
            }
            for c in self.clients
            if data.get(f"vios_{c.slot}") is not None
        ]
        return options


class RecoverForm(forms.Form):
    force = forms.BooleanField(
        required=False,
        label="Force (migrlpar -o r --force)",
        help_text="Also when the HMC may still be running the migration.",
    )


class SshTrustForm(forms.Form):
    """HMC → Set up trust: the other HMC, and its user's password (used once, never kept or
    shown again)."""

    remote_hmc = forms.ModelChoiceField(queryset=Hmc.objects.none(), label="Trust HMC")
    password = forms.CharField(
        strip=False,
        label="Password of the remote HMC user",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, hmc: Hmc, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["remote_hmc"].queryset = Hmc.objects.exclude(pk=hmc.pk)
        self.fields["remote_hmc"].label_from_instance = lambda other: (
            f"{other} ({other.username}@{other.host})"
        )
        bootstrap(self.fields)
