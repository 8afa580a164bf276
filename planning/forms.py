"""Planning forms: editing a scheme, reserving the next free slot, choosing a twin's
destination, twinning a whole frame, the matrix's filters, planning an evacuation and moving one
LPAR of a plan."""

import json

from django import forms

from inventory.choices import LparKind, VirtualAdapterKind
from inventory.models import Frame, Lpar
from planning.choices import PlacementPolicy
from planning.matrix import CLIENTS, MatrixFilter
from planning.models import EnumerationScheme
from planning.preflight import DEFAULT_VIOS_MSP_LIMIT

PAGE_SIZES = (25, 50, 100)


class SchemeForm(forms.ModelForm):
    """The scheme's ranges and stub policy; the model's clean() judges them."""

    vios_lpar_ids = forms.CharField(
        label="VIOS LPAR ids", help_text="Comma-separated, e.g. 1, 2.", required=True
    )

    class Meta:
        model = EnumerationScheme
        fields = [
            "name",
            "ethernet_first",
            "ethernet_last",
            "vscsi_first",
            "vscsi_last",
            "vfc_first",
            "vfc_last",
            "slot_ceiling",
            "lpar_id_ceiling",
            "vios_lpar_ids",
            "stub_lpar_id_offset",
            "stub_slot_offset",
            "stub_keeps_ethernet_slots",
            "stub_suffix",
            "stub_wwpn_prefix",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial["vios_lpar_ids"] = ", ".join(map(str, self.instance.vios_lpar_ids or []))

    def clean_vios_lpar_ids(self) -> list[int]:
        raw = self.cleaned_data["vios_lpar_ids"]
        try:
            return [int(part) for part in raw.replace(";", ",").split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(
                f"List the VIOS LPAR ids as numbers, e.g. 1, 2 (not {json.dumps(raw)})."
            ) from None


class SlotAllocateForm(forms.Form):
    """What to reserve on an LPAR: the kind, and for a client's vSCSI or vFC adapter the VIOS
    of its frame that serves it (the service says when one is missing or not wanted)."""

    kind = forms.ChoiceField(choices=VirtualAdapterKind.choices, label="Adapter kind")
    vios = forms.ModelChoiceField(
        queryset=Lpar.objects.none(),
        required=False,
        label="Served by VIOS",
        empty_label="— none (Ethernet) —",
        help_text="A client's vSCSI or vFC slot is reserved on the VIOS too (its server side).",
    )

    def __init__(self, *args, lpar: Lpar, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        vioses = Lpar.objects.filter(frame_id=lpar.frame_id, kind=LparKind.VIOS)
        self.fields["vios"].queryset = vioses.order_by("lpar_id")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


class DestinationForm(forms.Form):
    destination_frame = forms.ModelChoiceField(
        queryset=Frame.objects.order_by("name"), label="Destination frame"
    )

    def __init__(self, *args, exclude: Frame | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if exclude is not None:
            field = self.fields["destination_frame"]
            field.queryset = field.queryset.exclude(pk=exclude.pk)


class BulkTwinForm(DestinationForm):
    frame = forms.ModelChoiceField(
        queryset=Frame.objects.order_by("name"), label="Twin every LPAR of"
    )
    field_order = ["frame", "destination_frame"]


class MatrixFilterForm(forms.Form):
    """The matrix's filters: the LPARs of a frame and of a kind, destination frames by name."""

    frame = forms.ModelChoiceField(
        queryset=Frame.objects.order_by("name"),
        required=False,
        label="LPARs of frame",
        empty_label="every frame",
    )
    kind = forms.ChoiceField(
        choices=[(CLIENTS, "every client (no VIOS)"), ("", "every LPAR"), *LparKind.choices],
        required=False,
        label="LPAR kind",
    )
    destination = forms.CharField(required=False, label="Destination frames named like")
    per_page = forms.TypedChoiceField(
        choices=[(n, n) for n in PAGE_SIZES], coerce=int, required=False, label="Rows per page"
    )

    def __init__(self, data=None, *args, **kwargs) -> None:
        # A link that names no kind (`?frame=3`, a page number) gets the default, clients, and
        # the select must then show that default too, not "every LPAR".
        if data is not None and "kind" not in data:
            data = data.copy()
            data["kind"] = CLIENTS
        super().__init__(data, *args, **kwargs)

    def matrix(self) -> MatrixFilter:
        data = self.cleaned_data if self.is_valid() else {}
        kind = data.get("kind", CLIENTS) if self.is_bound else CLIENTS
        return MatrixFilter(data.get("frame"), kind, data.get("destination", "").strip())


class EvacuationForm(forms.Form):
    policy = forms.ChoiceField(
        choices=PlacementPolicy.choices,
        initial=PlacementPolicy.SPREAD,
        widget=forms.RadioSelect,
        help_text="LPARs are placed largest memory first either way.",
    )
    destinations = forms.ModelMultipleChoiceField(
        queryset=Frame.objects.order_by("name"),
        required=False,
        label="Destination frames",
        help_text="Leave empty for every other frame.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    vios_limit = forms.IntegerField(
        min_value=1,
        max_value=8,
        initial=DEFAULT_VIOS_MSP_LIMIT,
        label="Migrations per MSP in a wave",
        help_text="vioslpm0 cfg_msp_lpm_ops: 1–8; 4 on 1 Gb networks.",
    )

    def __init__(self, *args, frame: Frame, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["destinations"]
        field.queryset = field.queryset.exclude(pk=frame.pk)


class MoveForm(forms.Form):
    lpar = forms.ModelChoiceField(queryset=Lpar.objects.all(), widget=forms.HiddenInput)
    destination_frame = forms.ModelChoiceField(
        queryset=Frame.objects.order_by("name"), label="Move to"
    )
