"""Pages that belong to no single app: the dashboard, the section landing pages, /healthz."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lpmplanner.health import broker_problem, database_problem
from lpmplanner.roles import ROLES
from migrations_app.selectors import worker_status_list


def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    role_names = set(user.groups.values_list("name", flat=True))
    return render(
        request,
        "dashboard.html",
        {
            "roles": [role for role in ROLES if role.name in role_names],
            "workers": worker_status_list(),
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
