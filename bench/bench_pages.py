"""Page and API latency of the shell (the dashboard, `/api/me/`), against the least a signed-in
request that runs the same SQL can cost: the same client's request to an empty view through the
same middleware (session, user, second factor, roles, CSP …; for the API an empty DRF view with
the API's defaults), plus the page's own SELECTs
replayed on a cursor. What is left over is the page's own Python: its view and template."""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.common import Result, median_seconds, statements_recorded, statements_replay
from lpmplanner.roles import roles_bootstrap
from migrations_app.services import worker_heartbeat_record
from tests.factories import login

# The page's own view and template may cost this many times what the stack and its SQL do: the
# issue's bound for lists against their SQL alone (5×), here against the stack's cost too.
MAX_RATIO = 5.0


def _empty(request):
    return HttpResponse(b"")


class _EmptyApi(APIView):
    """The API's defaults (authentication, permissions, renderer), nothing else."""

    def get(self, request):
        return Response({})


# The project's URLs, and two more that do nothing, a page and an API view, under the same
# middleware.
urlpatterns = [
    path("bench-empty/", _empty),
    path("bench-empty-api/", _EmptyApi.as_view()),
    path("", include("lpmplanner.urls")),
]


def _reads(client: Client, url: str) -> list:
    statements: list = []
    with statements_recorded(statements):
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return [s for s in statements if s[0].lstrip().upper().startswith("SELECT")]


def _page_against_floor(
    client: Client, url: str, empty: float, stack: list[str]
) -> tuple[float, float, int]:
    """The page's own SELECTs are those beyond what the empty view's request runs too (the
    session, the user, the second factor's device): the floor counts those once."""
    reads = _reads(client, url)
    for sql in stack:
        same = next((n for n, read in enumerate(reads) if read[0] == sql), None)
        if same is not None:
            del reads[same]
    page = median_seconds(lambda: client.get(url))
    replay = median_seconds(lambda: statements_replay(reads))
    return page, empty + replay, len(reads)


def run() -> list[Result]:
    roles_bootstrap()
    user = get_user_model().objects.create_user("bench")
    for n in range(20):
        worker_heartbeat_record(hostname=f"worker{n}@bench")
    client = Client()
    login(client, user)
    results = []
    with override_settings(ROOT_URLCONF=__name__):
        for name, url, empty_url, what in (
            ("dashboard /", "/", "/bench-empty/", "an empty view"),
            ("API /api/me/", "/api/me/", "/bench-empty-api/", "an empty API view"),
        ):
            stack = [sql for sql, _params, _many in _reads(client, empty_url)]
            empty = median_seconds(lambda u=empty_url: client.get(u))
            page, floor, reads = _page_against_floor(client, url, empty, stack)
            results.append(
                Result(
                    name,
                    page,
                    f"{what} through the same middleware + its own {reads} SELECTs replayed",
                    floor,
                    MAX_RATIO,
                )
            )
    return results
