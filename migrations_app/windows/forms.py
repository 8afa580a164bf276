"""The "when" of the Migrate wizard and of Migrate this plan: now, in a change window, or at a
time."""

from django import forms

from inventory.forms import bootstrap
from migrations_app.windows.models import ChangeWindow
from migrations_app.windows.schedule import Schedule


class ScheduleForm(forms.Form):
    window = forms.ModelChoiceField(
        queryset=ChangeWindow.objects.prefetch_related("frames", "hmcs"),
        required=False,
        label="Start in change window",
        empty_label="Now (no window)",
        help_text="It waits as scheduled until the window opens, and is not run if it could "
        "not finish before the window closes.",
    )
    scheduled_for = forms.DateTimeField(
        required=False,
        label="Or start at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="A time in the future (the server's time zone); leave empty to start now.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self.fields)

    def schedule(self) -> Schedule | None:
        window, at = self.cleaned_data.get("window"), self.cleaned_data.get("scheduled_for")
        return Schedule(window=window, at=at) if window or at else None
