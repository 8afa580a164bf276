"""Planning forms: editing a scheme, choosing a twin's destination, twinning a whole frame."""

import json

from django import forms

from inventory.models import Frame
from planning.models import EnumerationScheme


class SchemeForm(forms.ModelForm):
    """The scheme's ranges and stub policy; the model's clean() judges them."""

    vios_lpar_ids = forms.CharField(
        label="VIOS LPAR ids", help_text="Comma-separated, e.g. 1, 2.", required=True
    )

    class Meta:
        model = EnumerationScheme
        fields = [
            "name", "ethernet_first", "ethernet_last", "vscsi_first", "vscsi_last", "vfc_first",
            "vfc_last", "slot_ceiling", "lpar_id_ceiling", "vios_lpar_ids", "stub_lpar_id_offset",
            "stub_slot_offset", "stub_keeps_ethernet_slots", "stub_suffix", "stub_wwpn_prefix",
        ]  # fmt: skip

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
