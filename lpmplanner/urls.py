"""Root URLs: pages, the REST API under /api/, the admin and /healthz."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import SimpleRouter

from inventory.api.urls import router as inventory_router
from lpmplanner import api_views, views
from migrations_app.api.urls import router as migrations_router
from migrations_app.api.urls import verbs as migrations_verbs
from planning.api.urls import router as planning_router
from planning.api.urls import verbs as planning_verbs
from planning.workbook import api as workbook_api
from planning.zoning import api as zoning_api

# One router for every app's collections, so they all sit flat under /api/ as the contract says.
router = SimpleRouter()
router.registry.extend(inventory_router.registry)
router.registry.extend(planning_router.registry)
router.registry.extend(migrations_router.registry)

api_patterns = [
    path("", api_views.api_root_view(router), name="root"),
    path("auth/token/", ObtainAuthToken.as_view(), name="token"),
    path("me/", api_views.MeView.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
    # Verbs on the inventory's LPARs and frames (allocate-slot, stub-twin, failover-runbook …).
    *planning_verbs.urls,
    path("zoning/fabrics/<int:pk>/plan/", zoning_api.ZoningPlanView.as_view(), name="zoning-plan"),
    path(
        "zoning/fabrics/<int:pk>/export/",
        zoning_api.ZoningExportView.as_view(),
        name="zoning-export",
    ),
    path("workbook/", workbook_api.WorkbookExportView.as_view(), name="workbook"),
    path(
        "workbook/template/", workbook_api.WorkbookTemplateView.as_view(), name="workbook-template"
    ),
    path("workbook/import/", workbook_api.WorkbookImportView.as_view(), name="workbook-import"),
    path(
        "workbook/imports/<int:pk>/",
        workbook_api.WorkbookImportDetailView.as_view(),
        name="workbook-import-detail",
    ),
    path(
        "workbook/imports/<int:pk>/commit/",
        workbook_api.WorkbookImportCommitView.as_view(),
        name="workbook-import-commit",
    ),
    *migrations_verbs.urls,
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"))),
    path("", include("inventory.urls")),
    path("", include("planning.urls")),
    path("", include("migrations_app.urls")),
]
