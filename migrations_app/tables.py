"""The Migrations list's table (django-tables2): each job with where it goes, its state and its
progress bar."""

import django_tables2 as tables
from django.template.loader import render_to_string

from migrations_app.models import MigrationJob


class MigrationJobTable(tables.Table):
    id = tables.Column(
        linkify=("migrations_app:migration-detail", {"pk": tables.A("pk")}), verbose_name="#"
    )
    lpar_name = tables.Column(verbose_name="LPAR")
    source_frame = tables.Column(verbose_name="From")
    destination_frame = tables.Column(verbose_name="To")
    state = tables.Column()
    progress = tables.Column(attrs={"td": {"class": "w-25"}})
    step = tables.Column(verbose_name="Now", orderable=False)
    requested_by = tables.Column(verbose_name="Asked by")
    created = tables.DateTimeColumn(verbose_name="Asked", format="Y-m-d H:i:s")

    class Meta:
        model = MigrationJob
        fields = (
            "id",
            "lpar_name",
            "source_frame",
            "destination_frame",
            "state",
            "progress",
            "step",
            "requested_by",
            "created",
        )
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "migrations"}
        order_by = ("-created",)

    def render_state(self, record: MigrationJob) -> str:
        return render_to_string("migrations_app/_migration_state.html", {"job": record})

    def render_progress(self, record: MigrationJob) -> str:
        return render_to_string("migrations_app/_migration_bar.html", {"job": record})
