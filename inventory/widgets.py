"""Form widgets that show names, never database ids: a searchable select for related objects
(Tom Select fills it from `/inventory/<list>/options/`) and an Any / Yes / No select."""

from typing import Any

from django import forms
from django.db.models import Model
from django.urls import reverse

from inventory.display import choice_label, labelled


class SearchSelect(forms.Select):
    """A select of one model's rows that renders only the chosen one: the browser searches the
    rest by name (an estate has thousands of LPARs). The submitted value is the id, so a URL or
    a script may still give `?frame=3`."""

    def __init__(
        self,
        model: type[Model],
        *,
        empty_label: str | None = "Any",
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.model = model
        self.empty_label = empty_label

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        slug_name = self.model._meta.model_name
        context["widget"]["attrs"]["data-options-url"] = reverse(f"inventory:{slug_name}-options")
        if self.empty_label is not None:
            context["widget"]["attrs"]["data-empty-label"] = self.empty_label
        return context

    def optgroups(
        self, name: str, value: list[str], attrs: dict[str, Any] | None = None
    ) -> list[tuple[str | None, list[dict[str, Any]], int | None]]:
        pks = [str(v).removesuffix(".0") for v in value if str(v).removesuffix(".0").isdigit()]
        chosen = list(labelled(self.model).filter(pk__in=pks)) if pks else []
        options = [("", self.empty_label)] if self.empty_label is not None else []
        options += [(instance.pk, choice_label(instance)) for instance in chosen]
        return [
            (
                None,
                [
                    self.create_option(
                        name, v, label, str(v) in pks or (v == "" and not chosen), index
                    )
                ],
                index,
            )
            for index, (v, label) in enumerate(options)
        ]


class AnyYesNoSelect(forms.NullBooleanSelect):
    """A yes/no filter: empty means either ("Any"), not "Unknown"."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("", "Any"), ("true", "Yes"), ("false", "No")]

    # A list, as every other select's (NullBooleanSelect's own string would be matched as a
    # substring by the options).
    def format_value(self, value: Any) -> list[str]:  # type: ignore[override]
        return [{True: "true", False: "false", "true": "true", "false": "false"}.get(value, "")]
