"""The Migrations list's filters: by state (several at once), LPAR, frame, batch, free text."""

import django_filters
from django.db.models import Q

from migrations_app.models import MigrationJob, MigrationState


class MigrationJobFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    state = django_filters.MultipleChoiceFilter(choices=MigrationState.choices, label="State")
    lpar_name = django_filters.CharFilter(label="LPAR (name)")
    frame = django_filters.CharFilter(method="on_frame", label="Frame (name)")
    batch = django_filters.NumberFilter(label="Batch (id)")

    class Meta:
        model = MigrationJob
        fields = ["q", "state", "lpar_name", "frame", "batch"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(lpar_name__icontains=value) | Q(step__icontains=value)
            | Q(message__icontains=value)
        )  # fmt: skip

    def on_frame(self, queryset, name, value):
        return queryset.filter(Q(source_frame__name=value) | Q(destination_frame__name=value))
