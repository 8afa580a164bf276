"""The migrations' filters, for the Migrations list and `/api/migrations/` alike: by state
(several at once, or `state__in` comma-separated), LPAR (name or id), frame (name, or source or
destination by id), batch, free text."""

import django_filters
from django import forms
from django.db.models import Q

from migrations_app.models import MigrationJob, MigrationState


class StateInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """`state__in=queued,migrating`: any of the states, comma-separated."""


class MigrationJobFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    state = django_filters.MultipleChoiceFilter(choices=MigrationState.choices, label="State")
    lpar_name = django_filters.CharFilter(label="LPAR (name)")
    frame = django_filters.CharFilter(method="on_frame", label="Frame (name)")
    batch = django_filters.NumberFilter(label="Batch number")
    # By id, for links and scripts: hidden on the page (its form has the names), kept by Apply.
    state__in = StateInFilter(
        field_name="state",
        lookup_expr="in",
        choices=MigrationState.choices,
        label="State (any of, comma-separated)",
        widget=forms.HiddenInput,
    )
    lpar = django_filters.NumberFilter(label="LPAR (id)", widget=forms.HiddenInput)
    source_frame = django_filters.NumberFilter(label="Source frame (id)", widget=forms.HiddenInput)
    destination_frame = django_filters.NumberFilter(
        label="Destination frame (id)", widget=forms.HiddenInput
    )

    class Meta:
        model = MigrationJob
        fields = [
            "q",
            "state",
            "lpar_name",
            "frame",
            "batch",
            "state__in",
            "lpar",
            "source_frame",
            "destination_frame",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(lpar_name__icontains=value) | Q(step__icontains=value) | Q(message__icontains=value)
        )

    def on_frame(self, queryset, name, value):
        return queryset.filter(Q(source_frame__name=value) | Q(destination_frame__name=value))
