from django.urls import path

from migrations_app import views

app_name = "migrations_app"

urlpatterns = [
    path("migrations/", views.index, name="index"),
    path("hmcs/<int:pk>/sync/", views.hmc_sync, name="hmc-sync"),
    path("hmcs/<int:pk>/host-key/", views.hmc_host_key, name="hmc-host-key"),
    path("hmc-syncs/<int:pk>/", views.sync_detail, name="sync-detail"),
    path("drift-items/<int:pk>/resolve/", views.drift_resolve, name="drift-resolve"),
    path("lpars/<int:pk>/create-on-hmc/", views.lpar_create_on_hmc, name="lpar-create-on-hmc"),
    path("lpar-create-jobs/<int:pk>/", views.lpar_create_job_detail, name="lpar-create-job"),
]
