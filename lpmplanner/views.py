"""Pages that belong to no single app: the dashboard, the section landing pages, /healthz."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lpmplanner.health import broker_problem, database_problem
from lpmplanner.roles import ROLES
from migrations_app.selectors import scheduled_migrations, worker_status_list


def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    role_names = set(user.groups.values_list("name", flat=True))
    return render(
        request,
        "dashboard.html",
        {
            "roles": [role for role in ROLES if role.name in role_names],
            "workers": worker_status_list(),
            "scheduled": scheduled_migrations(),
        },
    )


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 naming what does not."""
    database, broker = database_problem(), broker_problem()
    problems = [problem for problem in (database, broker) if problem]
    body = {
        "status": "unavailable" if problems else "ok",
        "database": database or "ok",
        "broker": broker or "ok",
    }
    return JsonResponse(body, status=503 if problems else 200)


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


# Django's error pages, in JSON under /api/ (a URL no route matches, e.g. a non-integer id, is
# answered here rather than by DRF).
def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": str(exception or "") or "Not allowed."}, status=403)
    return defaults.permission_denied(request, exception)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
