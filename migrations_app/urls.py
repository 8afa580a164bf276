from django.urls import path

from migrations_app import views
from migrations_app.readiness import views as readiness

app_name = "migrations_app"

urlpatterns = [
    path("migrations/", views.index, name="index"),
    path("migrations/running/", views.migration_running, name="migration-running"),
    path("migrations/new/", views.migration_new, name="migration-new"),
    path("migrations/new/summary/", views.migration_summary, name="migration-summary"),
    path("migrations/new/submit/", views.migration_submit, name="migration-submit"),
    path("migrations/<int:pk>/", views.migration_detail, name="migration-detail"),
    path("migrations/<int:pk>/live/", views.migration_live, name="migration-live"),
    path("migrations/<int:pk>/start/", views.migration_start, name="migration-start"),
    path("migrations/<int:pk>/stop/", views.migration_stop, name="migration-stop"),
    path("migrations/<int:pk>/recover/", views.migration_recover, name="migration-recover"),
    path("migrations/batches/", views.batch_list, name="batch-list"),
    path("migrations/batches/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("migrations/batches/<int:pk>/live/", views.batch_live, name="batch-live"),
    path(
        "migrations/evacuation-plans/<int:pk>/",
        views.evacuation_plan_confirm,
        name="evacuation-plan-confirm",
    ),
    path(
        "migrations/evacuation-plans/<int:pk>/run/",
        views.evacuation_plan_run,
        name="evacuation-plan-run",
    ),
    path("readiness/", readiness.readiness, name="readiness"),
    path("readiness/export.xlsx", readiness.readiness_export, name="readiness-export"),
    path("readiness/runs/new/", readiness.readiness_run_new, name="readiness-run-new"),
    path("readiness/runs/<int:pk>/", readiness.readiness_run_detail, name="readiness-run"),
    path("readiness/runs/<int:pk>/stop/", readiness.readiness_run_stop, name="readiness-run-stop"),
    path("hmcs/<int:pk>/sync/", views.hmc_sync, name="hmc-sync"),
    path("hmcs/<int:pk>/host-key/", views.hmc_host_key, name="hmc-host-key"),
    path("hmcs/<int:pk>/ssh-trust/", views.hmc_ssh_trust, name="hmc-ssh-trust"),
    path("hmc-syncs/<int:pk>/", views.sync_detail, name="sync-detail"),
    path("drift-items/<int:pk>/resolve/", views.drift_resolve, name="drift-resolve"),
    path("lpars/<int:pk>/create-on-hmc/", views.lpar_create_on_hmc, name="lpar-create-on-hmc"),
    path("lpar-create-jobs/<int:pk>/", views.lpar_create_job_detail, name="lpar-create-job"),
]
