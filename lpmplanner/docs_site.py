"""The documentation site (built by `make docs` into site/) served under /docs/, and the Help
link of every page, which opens the guide for that page.

The site is static HTML built from docs/; it is served only to signed-in users, from the built
directory only (no path outside it), and says how to build it when it is not there.
"""

from __future__ import annotations

from pathlib import Path

from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.static import serve

# (namespace, a part of the url name, the guide page): the first that matches a page's route wins.
HELP_PAGES: tuple[tuple[str, str, str], ...] = (
    ("inventory", "search", "guides/dashboard-and-search.html"),
    ("inventory", "hmc", "operations/hmcs-and-simulator.html"),
    ("inventory", "", "guides/planner/estate.html"),
    ("planning", "zoning", "guides/san-admin.html"),
    ("planning", "workbook", "guides/planner/workbook.html"),
    ("planning", "preflight", "guides/planner/preflight-and-evacuation.html"),
    ("planning", "matrix", "guides/planner/preflight-and-evacuation.html"),
    ("planning", "evacuation", "guides/planner/preflight-and-evacuation.html"),
    ("planning", "", "guides/planner/planning.html"),
    ("migrations_app", "readiness", "guides/readiness.html"),
    ("migrations_app", "", "guides/operator/migrate.html"),
    ("", "dashboard", "guides/dashboard-and-search.html"),
    ("", "security-log", "guides/administrator/security.html"),
    ("", "jobs", "guides/jobs.html"),
    ("", "notifications", "guides/notifications.html"),
    ("", "subscription", "guides/notifications.html"),
    ("", "webhook", "guides/notifications.html"),
    ("", "account", "guides/administrator/security.html"),
)
HOME = "index.html"


def site_dir() -> Path:
    return Path(settings.DOCS_SITE_DIR)


def help_page(namespace: str, url_name: str) -> str:
    """The docs page that explains the page at this route."""
    for space, prefix, page in HELP_PAGES:
        if namespace == space and prefix in url_name:
            return page
    return HOME


def help_link(request: HttpRequest) -> dict[str, str]:
    """Template context: `help_url`, the guide of the page being shown."""
    match = getattr(request, "resolver_match", None)
    page = help_page(match.namespace, match.url_name or "") if match else HOME
    return {"help_url": f"/docs/{page}"}


# The built pages carry MkDocs Material's small inline start-up scripts, which a nonce cannot
# reach (the site is static): our own files and inline ones, nothing from elsewhere.
@csp_replace({"script-src": [SELF, "'unsafe-inline'"], "style-src": [SELF, "'unsafe-inline'"]})
def docs_view(request: HttpRequest, path: str = "") -> HttpResponse:
    root = site_dir()
    if not (root / HOME).is_file():
        return render(request, "docs_missing.html", status=404)
    if path == "" or path.endswith("/"):
        path += HOME
    try:
        return serve(request, path, document_root=str(root))
    except Http404:
        return render(request, "404.html", status=404)
