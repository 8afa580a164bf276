"""Root URLs: pages, the REST API under /api/, the admin and /healthz."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from inventory.api import views as inventory_api_views
from inventory.api.urls import router as inventory_router
from lpmplanner import api_views, docs_site, views
from lpmplanner.jobs import api as jobs_api
from lpmplanner.jobs import views as jobs_views
from lpmplanner.metrics import metrics_view
from lpmplanner.notifications import views as notification_views
from lpmplanner.notifications.api import router as notifications_router
from lpmplanner.security import api as security_api
from lpmplanner.security import oidc
from lpmplanner.security import views as security_views
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
router.registry.extend(notifications_router.registry)

api_patterns = [
    path("", api_views.api_root_view(router), name="root"),
    path("auth/token/", security_api.ObtainTokenView.as_view(), name="token"),
    path("me/", api_views.MeView.as_view(), name="me"),
    path("search/", inventory_api_views.SearchView.as_view(), name="search"),
    path("jobs/", jobs_api.JobListView.as_view(), name="jobs"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
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

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.not_found
handler500 = views.server_error

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("metrics", metrics_view, name="metrics"),
    # The documentation site, when `make docs` has built it.
    path("docs/", docs_site.docs_view, name="docs"),
    path("docs/<path:path>", docs_site.docs_view, name="docs-page"),
    path("login/", security_views.SignInView.as_view(), name="login"),
    path(
        "oidc/authenticate/",
        login_not_required(oidc.ProviderSignInView.as_view()),
        name="oidc_authentication_init",
    ),
    path(
        "oidc/callback/",
        login_not_required(oidc.ProviderCallbackView.as_view()),
        name="oidc_authentication_callback",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", security_views.account, name="account"),
    path("account/two-factor/", security_views.two_factor_enrol, name="two-factor-enrol"),
    path("account/two-factor/code/", security_views.two_factor_verify, name="two-factor-verify"),
    path("account/two-factor/remove/", security_views.two_factor_remove, name="two-factor-remove"),
    path("account/step-up/", security_views.step_up, name="step-up"),
    path("account/recovery-codes/", security_views.recovery_codes_new, name="recovery-codes-new"),
    path("account/tokens/", security_views.api_token_create, name="api-token-create"),
    path(
        "account/tokens/<int:pk>/revoke/",
        security_views.api_token_revoke,
        name="api-token-revoke",
    ),
    path("account/notifications/", notification_views.notifications, name="notifications"),
    path(
        "account/notifications/subscriptions/",
        notification_views.subscription_add,
        name="subscription-add",
    ),
    path(
        "account/notifications/subscriptions/<int:pk>/delete/",
        notification_views.subscription_delete,
        name="subscription-delete",
    ),
    path("account/notifications/webhooks/", notification_views.webhook_add, name="webhook-add"),
    path(
        "account/notifications/webhooks/<int:pk>/delete/",
        notification_views.webhook_delete,
        name="webhook-delete",
    ),
    path("jobs/", jobs_views.job_list, name="jobs"),
    path("security-log/", security_views.security_log, name="security-log"),
    path("security-log.csv", security_views.security_log_csv, name="security-log-csv"),
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"))),
    path("", include("inventory.urls")),
    path("", include("planning.urls")),
    path("", include("migrations_app.urls")),
]
