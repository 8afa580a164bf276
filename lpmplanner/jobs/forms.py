"""The Jobs list's filters, for the page and `/api/jobs/` alike: kind, state, who asked."""

from django import forms

from lpmplanner.jobs.models import Job
from lpmplanner.jobs.selectors import job_kind_choices, job_state_choices


class JobFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, label="Kind")
    state = forms.ChoiceField(required=False, label="State")
    user = forms.CharField(required=False, max_length=150, label="Asked by (user name)")

    def __init__(self, *args, kinds: list[type[Job]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Any"), *job_kind_choices(kinds=kinds)]
        self.fields["state"].choices = [("", "Any"), *job_state_choices(kinds=kinds)]
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm"
                if isinstance(field, forms.ChoiceField)
                else "form-control form-control-sm"
            )

    def kinds_chosen(self, kinds: list[type[Job]]) -> list[type[Job]]:
        kind = self.cleaned_data.get("kind")
        return [k for k in kinds if k.kind() == kind] if kind else kinds
