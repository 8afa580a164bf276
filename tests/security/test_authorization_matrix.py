"""Who may do what, on every URL pattern and API endpoint: one declared table, checked against
anonymous visitors, each role, an administrator, and API tokens of each scope.

Each answer is one letter: O = allowed (the view runs: 2xx, a redirect elsewhere, or its own
400/404/405/409), L = asked to sign in (redirect to the login page, or API 401), D = refused
(403). Session columns: anonymous, Viewer, Planner, SAN admin, Operator, administrator; token
columns (an administrator's token): read, write, operate. Sessions here have a fresh second
factor (step-up is tested on its own in test_step_up.py).

Two columns are derived rather than written in every row: a signed-in user with no role (a
Viewer's answers, with every read of the estate refused: see `roleless`), and an operate token
whose user has no authenticator (a write token's answers: no dangerous action). How an operate
token is obtained (fresh, stale step-up, no authenticator) has its own table at the end.

A new URL pattern fails `test_every_url_pattern_is_in_the_table` until it has a row: add one to
PAGES or API below (or to an inventory family), with the pk's model when the route has one.
"""

import re

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from lpmplanner.security.tokens import api_token_create
from tests.demo_estate import demo_estate_restore
from tests.factories import PASSWORD, login, totp_code, totp_device_create, user_create

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "Viewer", "Planner", "SAN admin", "Operator", "administrator")
SCOPES = ("read", "write", "operate")
READ = "LOOOOO"  # every signed-in user reads
ADMIN_ONLY = "LDDDDO"
PLANNER = "LDODDO"
PLANNER_SAN = "LDOODO"
OPERATOR = "LDDDOO"
TOKEN_READ, TOKEN_WRITE, TOKEN_OPERATE = "OOO", "DOO", "DDO"


def row(pk: str | None = None, **methods: tuple[str, ...] | str) -> dict:
    """A table row: the model whose first object fills `<pk>`, and per HTTP method the
    expected answers (sessions, or sessions and tokens for API endpoints)."""
    return {
        "pk": pk,
        "methods": {m.upper(): a if isinstance(a, tuple) else (a,) for m, a in methods.items()},
    }


# Pages. Inventory: the same six pages per model; who edits which model.
INVENTORY_EDITORS = {
    "hmcs": ("inventory.Hmc", PLANNER),
    "frames": ("inventory.Frame", PLANNER),
    "drawers": ("inventory.Drawer", PLANNER),
    "slots": ("inventory.Slot", PLANNER),
    "adapters": ("inventory.Adapter", PLANNER),
    "ports": ("inventory.Port", PLANNER),
    "vlans": ("inventory.Vlan", PLANNER),
    "fabrics": ("inventory.Fabric", PLANNER_SAN),
    "storage-ports": ("inventory.StoragePort", PLANNER_SAN),
    "shared-pools": ("inventory.SharedProcessorPool", PLANNER),
    "lpars": ("inventory.Lpar", PLANNER),
    "virtual-adapters": ("inventory.VirtualAdapter", PLANNER),
    "wwpns": ("inventory.Wwpn", PLANNER_SAN),
}
PAGES = {
    "": row(get=READ),
    "healthz": row(get="OOOOOO"),
    "favicon.ico": row(get="OOOOOO"),
    "search/": row(get=READ),
    "login/": row(get="OOOOOO"),
    # By address or token, not by sign-in (tests/test_metrics.py); the test client is local.
    "metrics": row(get="OOOOOO"),
    # Sign-in through a provider: a 404 while none is configured (tests/browser/test_oidc_*).
    "oidc/authenticate/": row(get="OOOOOO"),
    "oidc/callback/": row(get="OOOOOO"),
    "logout/": row(post="LLLLLL"),  # signing out leads to the login page
    "account/": row(get=READ),
    "account/two-factor/": row(get=READ),
    "account/two-factor/code/": row(get=READ),
    "account/two-factor/remove/": row(post=READ),
    "account/step-up/": row(get=READ),
    "account/recovery-codes/": row(get=READ, post=READ),
    "account/tokens/": row(post=READ),
    "account/tokens/<int:pk>/revoke/": row("lpmplanner.ApiToken", post="LOOOOO"),
    # The documentation site: a 404 page saying how to build it while it is not built.
    "docs/": row(get=READ),
    "docs/<path:path>": row(get=READ),
    # Notifications: each user manages their own subscriptions and webhooks.
    "account/notifications/": row(get=READ),
    "account/notifications/subscriptions/": row(post=READ),
    "account/notifications/subscriptions/<int:pk>/delete/": row(
        "lpmplanner.Subscription", post=READ
    ),
    "account/notifications/webhooks/": row(post=READ),
    "account/notifications/webhooks/<int:pk>/delete/": row("lpmplanner.Webhook", post=READ),
    "security-log/": row(get=ADMIN_ONLY),
    # Every kind of background work together; each role sees the kinds it may read.
    "jobs/": row(get=READ),
    "security-log.csv": row(get=ADMIN_ONLY),
    "inventory/": row(get=READ),
    "inventory/history/": row(get=READ),
    "inventory/lpars/<int:pk>/grid/": row("inventory.Lpar", get=PLANNER),
    "inventory/frames/<int:pk>/slot-grid/": row("inventory.Frame", get=PLANNER),
    "planning/": row(get=READ),
    "planning/checks/": row(get=READ),
    "planning/schemes/<int:pk>/edit/": row("planning.EnumerationScheme", get=PLANNER),
    "planning/lpars/<int:pk>/": row("inventory.Lpar", get=READ),
    "planning/lpars/<int:pk>/allocate-slot/": row("inventory.Lpar", post=PLANNER),
    "planning/lpars/<int:pk>/stub-twin/": row("inventory.Lpar", post=PLANNER),
    "planning/lpars/<int:pk>/refresh-twin/": row("inventory.Lpar", post=PLANNER),
    "planning/lpars/<int:pk>/runbook/": row("inventory.Lpar", get=READ),
    "planning/stub-twins/": row(post=PLANNER),
    "zoning/": row(get=READ),
    "zoning/download/": row(get=PLANNER_SAN),
    "zoning/fabrics/<int:fabric_id>/settings/": row("inventory.Fabric", get=PLANNER_SAN),
    "zoning/fabrics/<int:fabric_id>/download/": row("inventory.Fabric", get=PLANNER_SAN),
    "zoning/fabrics/<int:fabric_id>/preview/": row("inventory.Fabric", get=READ),
    "migrations/": row(get=READ),
    "hmcs/<int:pk>/sync/": row("inventory.Hmc", post=OPERATOR),
    "hmcs/<int:pk>/host-key/": row("inventory.Hmc", post=PLANNER),
    "hmcs/<int:pk>/ssh-trust/": row("inventory.Hmc", get=OPERATOR, post=OPERATOR),
    "hmc-syncs/<int:pk>/": row("migrations_app.HmcSync", get=READ),
    "drift-items/<int:pk>/resolve/": row("migrations_app.DriftItem", post=PLANNER),
    "lpars/<int:pk>/create-on-hmc/": row("inventory.Lpar", post=PLANNER),
    "lpar-create-jobs/<int:pk>/": row("migrations_app.LparCreateJob", get=READ),
    # Pre-flight, the matrix, evacuation plans, the planning workbook.
    "planning/matrix/": row(get=READ),
    "planning/matrix/cell/": row(get=READ),
    "planning/matrix/export.xlsx": row(get=READ),
    # Any reader prepares an export; only its owner (or an administrator) downloads it. The
    # first export is the Viewer's, made by the row above (its file not written: no worker, so
    # a 404 to its owner and the administrator, a 403 to everyone else).
    "planning/matrix/exports/": row(post=READ),
    "planning/matrix/exports/<int:pk>/download/": row("planning.MatrixExport", get="LODDDO"),
    "planning/evacuation/": row(get=READ),
    "planning/frames/<int:pk>/evacuation/": row("inventory.Frame", post=PLANNER),
    "planning/evacuation-plans/<int:pk>/": row("planning.EvacuationPlan", get=READ),
    "planning/evacuation-plans/<int:pk>/move/": row("planning.EvacuationPlan", post=PLANNER),
    "planning/workbook/": row(get=READ),
    "planning/workbook/imports/<int:pk>/": row("planning.WorkbookImport", get=PLANNER),
    "planning/workbook/imports/<int:pk>/commit/": row("planning.WorkbookImport", post=PLANNER),
    # Migrations: everyone reads; Operators (and administrators) migrate, stop and recover.
    "migrations/running/": row(get=READ),
    "readiness/": row(get=READ),
    "readiness/export.xlsx": row(get=READ),
    "readiness/runs/new/": row(post=OPERATOR),
    "readiness/runs/<int:pk>/": row("migrations_app.ReadinessRun", get=READ),
    "readiness/runs/<int:pk>/stop/": row("migrations_app.ReadinessRun", post=OPERATOR),
    "migrations/new/": row(get=OPERATOR),
    "migrations/new/summary/": row(get=OPERATOR),
    "migrations/new/submit/": row(post=OPERATOR),
    "migrations/<int:pk>/": row("migrations_app.MigrationJob", get=READ),
    "migrations/<int:pk>/live/": row("migrations_app.MigrationJob", get=READ),
    "migrations/<int:pk>/start/": row("migrations_app.MigrationJob", post=OPERATOR),
    "migrations/<int:pk>/stop/": row("migrations_app.MigrationJob", post=OPERATOR),
    "migrations/<int:pk>/recover/": row("migrations_app.MigrationJob", post=OPERATOR),
    "migrations/batches/": row(get=READ),
    "migrations/batches/<int:pk>/": row("migrations_app.MigrationBatch", get=READ),
    "migrations/batches/<int:pk>/live/": row("migrations_app.MigrationBatch", get=READ),
    # Migrate this plan: the confirmation and the run, for Operators.
    "migrations/evacuation-plans/<int:pk>/": row("planning.EvacuationPlan", get=OPERATOR),
    "migrations/evacuation-plans/<int:pk>/run/": row("planning.EvacuationPlan", post=OPERATOR),
}
for slug, (model, editors) in INVENTORY_EDITORS.items():
    PAGES |= {
        f"inventory/{slug}/": row(get=READ),
        f"inventory/{slug}/options/": row(get=READ),
        f"inventory/{slug}/add/": row(get=editors),
        f"inventory/{slug}/bulk-edit/": row(get=editors),
        f"inventory/{slug}/<int:pk>/": row(model, get=READ),
        f"inventory/{slug}/<int:pk>/edit/": row(model, get=editors),
        f"inventory/{slug}/<int:pk>/delete/": row(model, get=editors),
    }

# The API: (sessions, tokens) per method. Collections: GET lists, POST {} (a 400 when allowed).
API_COLLECTIONS = {
    # Every inventory model but WWPNs (their collection takes no POST: rows of their own below).
    slug: editors
    for slug, editors in INVENTORY_EDITORS.items()
    if slug != "wwpns"
}
API = {
    "api/": row(get=(READ, TOKEN_READ)),
    "api/auth/token/": row(post=("OOOOOO", "OOO")),
    "api/me/": row(get=(READ, TOKEN_READ)),
    "api/search/": row(get=(READ, TOKEN_READ)),
    "api/jobs/": row(get=(READ, TOKEN_READ)),
    "api/schema/": row(get=(READ, TOKEN_READ)),
    "api/docs/": row(get=(READ, TOKEN_READ)),
    "api/^wwpns/$": row(get=(READ, TOKEN_READ)),
    "api/^wwpns/(?P<pk>[^/.]+)/$": row(
        "inventory.Wwpn", get=(READ, TOKEN_READ), patch=(PLANNER_SAN, TOKEN_WRITE)
    ),
    "api/^checks/$": row(get=(READ, TOKEN_READ)),
    "api/^hmc-syncs/$": row(get=(READ, TOKEN_READ)),
    "api/^hmc-syncs/(?P<pk>[^/.]+)/$": row("migrations_app.HmcSync", get=(READ, TOKEN_READ)),
    "api/^drift-items/$": row(get=(READ, TOKEN_READ)),
    "api/^drift-items/(?P<pk>[^/.]+)/$": row("migrations_app.DriftItem", get=(READ, TOKEN_READ)),
    "api/^drift-items/(?P<pk>[^/.]+)/resolve/$": row(
        "migrations_app.DriftItem", post=(PLANNER, TOKEN_WRITE)
    ),
    "api/^lpar-create-jobs/$": row(get=(READ, TOKEN_READ)),
    "api/^lpar-create-jobs/(?P<pk>[^/.]+)/$": row(
        "migrations_app.LparCreateJob", get=(READ, TOKEN_READ)
    ),
    "api/^lpars/(?P<pk>[^/.]+)/allocate-slot/$": row("inventory.Lpar", post=(PLANNER, TOKEN_WRITE)),
    "api/^lpars/(?P<pk>[^/.]+)/failover-runbook/$": row("inventory.Lpar", get=(READ, TOKEN_READ)),
    "api/^lpars/(?P<pk>[^/.]+)/refresh-twin/$": row("inventory.Lpar", post=(PLANNER, TOKEN_WRITE)),
    "api/^lpars/(?P<pk>[^/.]+)/stub-twin/$": row("inventory.Lpar", post=(PLANNER, TOKEN_WRITE)),
    "api/^frames/(?P<pk>[^/.]+)/stub-twins/$": row("inventory.Frame", post=(PLANNER, TOKEN_WRITE)),
    "api/zoning/fabrics/<int:pk>/plan/": row("inventory.Fabric", get=(READ, TOKEN_READ)),
    "api/zoning/fabrics/<int:pk>/export/": row("inventory.Fabric", get=(PLANNER_SAN, TOKEN_READ)),
    # Pinning a host key and Create on HMC are dangerous: tokens need the operate scope.
    "api/^hmcs/(?P<pk>[^/.]+)/host-key/$": row("inventory.Hmc", post=(PLANNER, TOKEN_OPERATE)),
    "api/^hmcs/(?P<pk>[^/.]+)/sync/$": row("inventory.Hmc", post=(OPERATOR, TOKEN_WRITE)),
    # Trust between HMCs lets one act on the other: Operators, tokens with the operate scope.
    "api/^hmcs/(?P<pk>[^/.]+)/ssh-trust/$": row("inventory.Hmc", post=(OPERATOR, TOKEN_OPERATE)),
    "api/^lpars/(?P<pk>[^/.]+)/create-on-hmc/$": row(
        "inventory.Lpar", post=(PLANNER, TOKEN_OPERATE)
    ),
    # Pre-flight and evacuation plans.
    "api/^lpars/(?P<pk>[^/.]+)/migratability/$": row("inventory.Lpar", get=(READ, TOKEN_READ)),
    "api/^frames/(?P<pk>[^/.]+)/evacuation-plan/$": row(
        "inventory.Frame", post=(PLANNER, TOKEN_WRITE)
    ),
    "api/^evacuation-plans/$": row(get=(READ, TOKEN_READ)),
    "api/^evacuation-plans/(?P<pk>[^/.]+)/$": row(
        "planning.EvacuationPlan", get=(READ, TOKEN_READ)
    ),
    "api/^evacuation-plans/(?P<pk>[^/.]+)/move/$": row(
        "planning.EvacuationPlan", post=(PLANNER, TOKEN_WRITE)
    ),
    # The planning workbook: everyone exports; Planners import.
    "api/workbook/": row(get=(READ, TOKEN_READ)),
    "api/workbook/template/": row(get=(READ, TOKEN_READ)),
    "api/workbook/import/": row(post=(PLANNER, TOKEN_WRITE)),
    "api/workbook/imports/<int:pk>/": row("planning.WorkbookImport", get=(PLANNER, TOKEN_READ)),
    "api/workbook/imports/<int:pk>/commit/": row(
        "planning.WorkbookImport", post=(PLANNER, TOKEN_WRITE)
    ),
    # Migrations: everyone reads; moving, stopping, recovering: Operators, operate tokens.
    "api/^migrations/$": row(get=(READ, TOKEN_READ), post=(OPERATOR, TOKEN_OPERATE)),
    "api/^migrations/proposal/$": row(get=(READ, TOKEN_READ)),
    "api/^migrations/(?P<pk>[^/.]+)/$": row("migrations_app.MigrationJob", get=(READ, TOKEN_READ)),
    "api/^migrations/(?P<pk>[^/.]+)/start/$": row(
        "migrations_app.MigrationJob", post=(OPERATOR, TOKEN_OPERATE)
    ),
    "api/^migrations/(?P<pk>[^/.]+)/stop/$": row(
        "migrations_app.MigrationJob", post=(OPERATOR, TOKEN_OPERATE)
    ),
    "api/^migrations/(?P<pk>[^/.]+)/recover/$": row(
        "migrations_app.MigrationJob", post=(OPERATOR, TOKEN_OPERATE)
    ),
    # Change windows: everyone reads; Operators write.
    "api/^change-windows/$": row(get=(READ, TOKEN_READ), post=(OPERATOR, TOKEN_WRITE)),
    "api/^change-windows/(?P<pk>[^/.]+)/$": row(
        "migrations_app.ChangeWindow",
        get=(READ, TOKEN_READ),
        patch=(OPERATOR, TOKEN_WRITE),
        delete=(OPERATOR, TOKEN_WRITE),
    ),
    # Notifications: every role, each user's own only.
    "api/^notification-deliveries/$": row(get=(READ, TOKEN_READ)),
    "api/^notification-deliveries/(?P<pk>[^/.]+)/$": row(
        "lpmplanner.Delivery", get=(READ, TOKEN_READ)
    ),
    "api/^notification-subscriptions/$": row(get=(READ, TOKEN_READ), post=(READ, TOKEN_WRITE)),
    "api/^notification-subscriptions/(?P<pk>[^/.]+)/$": row(
        "lpmplanner.Subscription", get=(READ, TOKEN_READ), delete=(READ, TOKEN_WRITE)
    ),
    "api/^webhooks/$": row(get=(READ, TOKEN_READ), post=(READ, TOKEN_WRITE)),
    "api/^webhooks/(?P<pk>[^/.]+)/$": row(
        "lpmplanner.Webhook",
        get=(READ, TOKEN_READ),
        patch=(READ, TOKEN_WRITE),
        delete=(READ, TOKEN_WRITE),
    ),
    "api/^migration-batches/$": row(get=(READ, TOKEN_READ), post=(OPERATOR, TOKEN_OPERATE)),
    "api/^readiness-runs/$": row(get=(READ, TOKEN_READ), post=(OPERATOR, TOKEN_WRITE)),
    "api/^readiness-runs/(?P<pk>[^/.]+)/$": row(
        "migrations_app.ReadinessRun", get=(READ, TOKEN_READ)
    ),
    "api/^readiness-runs/(?P<pk>[^/.]+)/summary/$": row(
        "migrations_app.ReadinessRun", get=(READ, TOKEN_READ)
    ),
    "api/^readiness-runs/(?P<pk>[^/.]+)/stop/$": row(
        "migrations_app.ReadinessRun", post=(OPERATOR, TOKEN_WRITE)
    ),
    "api/^readiness-results/$": row(get=(READ, TOKEN_READ)),
    "api/^readiness-results/(?P<pk>[^/.]+)/$": row(
        "migrations_app.ReadinessResult", get=(READ, TOKEN_READ)
    ),
    "api/^migration-batches/(?P<pk>[^/.]+)/$": row(
        "migrations_app.MigrationBatch", get=(READ, TOKEN_READ)
    ),
}
for prefix, (model, editors) in API_COLLECTIONS.items():
    API |= {
        f"api/^{prefix}/$": row(get=(READ, TOKEN_READ), post=(editors, TOKEN_WRITE)),
        f"api/^{prefix}/(?P<pk>[^/.]+)/$": row(
            model, get=(READ, TOKEN_READ), patch=(editors, TOKEN_WRITE)
        ),
    }
TABLE = PAGES | API

# A signed-in user with no role (no group, no permission) gets what a Viewer gets, except that
# every read of the estate, the plans and the jobs is refused (403): only these stay open.
ROLELESS_OPEN = {
    "",
    "healthz",
    "login/",
    "logout/",
    "account/",
    "account/two-factor/",
    "account/two-factor/code/",
    "account/two-factor/remove/",
    "account/step-up/",
    "account/recovery-codes/",
    "account/tokens/",
    "account/tokens/<int:pk>/revoke/",
    "api/",
    "api/auth/token/",
    "api/me/",
    "api/schema/",
    "api/docs/",
    "docs/",
    "docs/<path:path>",
    # Open to anyone by design: the scrape (guarded by its token or address) and sign-in through
    # the identity provider.
    "metrics",
    "oidc/authenticate/",
    "oidc/callback/",
    "favicon.ico",
    # A user whose role was taken away may still delete their own subscriptions and webhooks.
    "account/notifications/subscriptions/<int:pk>/delete/",
    "account/notifications/webhooks/<int:pk>/delete/",
}


def roleless(route: str, viewer: str) -> str:
    return viewer if viewer != "O" or route in ROLELESS_OPEN else "D"


# Rows whose allowed answer changes the account the next rows use: these run last, in order.
LAST = {
    "account/tokens/<int:pk>/revoke/": 1,
    "account/recovery-codes/": 2,
    "account/two-factor/remove/": 3,
    "logout/": 4,
}


def url_patterns(patterns=None, prefix: str = ""):
    """Every route of the site as written in the URLconf (the admin site apart: Django's own,
    staff only, checked by its index row below)."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_every_url_pattern_is_in_the_table():
    routes = set(url_patterns())
    assert routes - set(TABLE) == set(), "routes with no row in the authorization table"
    assert set(TABLE) - routes == set(), "rows for routes that no longer exist"


def concrete(route: str, pk: int | None) -> str:
    """The route with its pk filled in, as a path."""
    path = re.sub(r"<int:\w+>|\(\?P<pk>\[\^/\.\]\+\)", str(pk), route)
    return "/" + path.replace("^", "").replace("$", "")


def answer(response, path: str) -> str:
    status = response.status_code
    location = response.get("Location", "")
    assert status < 500, f"server error {status} on {path}"
    if status == 401 or (status == 302 and location.startswith("/login/")):
        return "L"
    if status == 403:
        return "D"
    return "O"


@pytest.fixture
def estate(db):
    demo_estate_restore()


@pytest.fixture
def clients(estate):
    """A client per column: sessions of each role with a fresh second factor, and tokens."""
    sessions = {"anonymous": APIClient()}
    admin = user_create("root", is_superuser=True, is_staff=True)
    for role in ROLES[1:]:
        user = admin if role == "administrator" else user_create(role.replace(" ", ""), role=role)
        client = APIClient()
        login(client, user)
        sessions[role] = client
    sessions["no role"] = APIClient()
    login(sessions["no role"], user_create("nobody"))
    tokens = {}
    # An operate token whose user had an authenticator when it was made, and has none now.
    lost = user_create("root2", is_superuser=True, is_staff=True)
    totp_device_create(lost)
    _, key = api_token_create(user=lost, name="matrix operate", scope="operate")
    lost.totpdevice_set.all().delete()
    tokens["operate, no authenticator"] = APIClient()
    tokens["operate, no authenticator"].credentials(HTTP_AUTHORIZATION=f"Token {key}")
    for scope in SCOPES:
        _, key = api_token_create(user=admin, name=f"matrix {scope}", scope=scope)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        tokens[scope] = client
    return sessions, tokens


def first_pk(label: str | None) -> int | None:
    """The first object of the model (a missing one is a 404 for whoever may look)."""
    if label is None:
        return None
    obj = apps.get_model(label)._base_manager.order_by("pk").first()
    return obj.pk if obj is not None else 999999


def send(client, method: str, path: str):
    return getattr(client, method.lower())(path, {}, format="json")


def test_answers_match_the_table(clients):
    """One pass over the whole table on one estate; the failure lists every differing cell as
    (route, method, column): (expected, got)."""
    sessions, tokens = clients
    differences = {}
    for route, expected_row in sorted(TABLE.items(), key=lambda item: LAST.get(item[0], 0)):
        path = concrete(route, first_pk(expected_row["pk"]))
        for method, answers in expected_row["methods"].items():
            columns = list(zip(ROLES, answers[0], strict=True))
            columns.append(("no role", roleless(route, answers[0][ROLES.index("Viewer")])))
            if route.startswith("api/"):
                columns += [(f"token:{s}", a) for s, a in zip(SCOPES, answers[1], strict=True)]
                columns.append(("token:operate, no authenticator", answers[1][1]))
            for column, want in columns:
                client = tokens[column[6:]] if column.startswith("token:") else sessions[column]
                got = answer(send(client, method, path), path)
                if got != want:
                    differences[route, method, column] = (want, got)
    assert differences == {}


def test_the_admin_site_is_for_staff_only(clients):
    sessions, _ = clients
    got = {role: sessions[role].get("/admin/").status_code for role in ROLES}
    assert got == {role: 200 if role == "administrator" else 302 for role in ROLES}


# Getting an operate token: (who, where) → S = sent to the step-up page first, R = refused with
# the reason and no token, O = a token.
OPERATE_TOKEN_TABLE = {
    ("authenticator, fresh code", "account page"): "O",
    ("authenticator, stale step-up", "account page"): "S",
    ("no authenticator", "account page"): "R",
    ("authenticator, code", "token endpoint"): "O",
    ("authenticator, no code", "token endpoint"): "R",
    ("no authenticator", "token endpoint"): "R",
}


def operate_token_answer(who: str, where: str) -> str:
    user = user_create("oscar", role="Operator")
    device = totp_device_create(user) if who.startswith("authenticator") else None
    if where == "account page":
        client = APIClient()
        if device is None:
            client.force_login(user)
        else:
            login(client, user, fresh="stale" not in who)
        body = {"name": "ci", "scope": "operate", "expires_in_days": 30}
        response = client.post("/account/tokens/", body, format="multipart")
        if response.status_code == 302 and response["Location"].startswith("/account/step-up/"):
            return "S"
    else:
        body = {"username": "oscar", "password": PASSWORD, "scope": "operate"}
        if device is not None and "no code" not in who:
            body["otp"] = totp_code(device)
        response = APIClient().post("/api/auth/token/", body, format="json")
        if response.status_code == 400:
            assert set(response.json()) & {"otp", "scope"}
    assert response.status_code < 500
    return "O" if user.api_tokens.filter(scope="operate").exists() else "R"


@pytest.mark.parametrize(
    ("who", "where"),
    list(OPERATE_TOKEN_TABLE),
    ids=[f"{who} at {where}" for who, where in OPERATE_TOKEN_TABLE],
)
def test_getting_an_operate_token_matches_the_table(db, who, where):
    assert operate_token_answer(who, where) == OPERATE_TOKEN_TABLE[who, where]
