"""The documentation cannot drift from the code: every setting, finding code, estate check, role
and management command is in the docs (tables generated from the code or checked against it),
the generated tables hold every item, and the app serves the built site and links each page to
its guide."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.urls import get_resolver

from lpmplanner import docs_site
from lpmplanner.roles import ROLES
from planning.checks import CHECKS
from planning.preflight import CODES
from tests.factories import login, user_create

ROOT = Path(settings.BASE_DIR)
DOCS = ROOT / "docs"
OUR_APPS = {"lpmplanner", "inventory", "planning", "migrations_app"}
ENV_READERS = {"env_bool", "env_list", "env_int", "env_float", "kept_secret", "env_role_groups"}


def hooks():
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def env_variables_read() -> set[str]:
    """Every environment variable the settings (and the apps, and gunicorn's config) read,
    found in the source."""
    names = set()
    sources = [ROOT / "lpmplanner" / "settings.py", ROOT / "gunicorn.conf.py"]
    for app in OUR_APPS:
        sources += [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    for path in sources:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                reader = (isinstance(func, ast.Name) and func.id in ENV_READERS) or (
                    isinstance(func, ast.Attribute)
                    and (
                        (func.attr == "get" and getattr(func.value, "attr", "") == "environ")
                        or func.attr == "getenv"
                    )
                )
                first = node.args[0]
                if reader and isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.add(first.value)
            if (
                isinstance(node, ast.Subscript)
                and getattr(node.value, "attr", "") == "environ"
                and isinstance(node.slice, ast.Constant)
            ):
                names.add(node.slice.value)
    return names - {"DJANGO_SETTINGS_MODULE"}


def first_column(page: str) -> set[str]:
    """The `NAMES` in the first column of a page's tables."""
    names = set()
    for line in (DOCS / page).read_text().splitlines():
        if line.startswith("| `"):
            cell = re.split(r"(?<!\\)\|", line)[1]  # a `\|` inside a cell is not a border
            names |= set(re.findall(r"`([^`]+)`", cell))
    return names


def test_every_setting_is_documented_and_every_documented_setting_exists():
    documented = {
        n for n in first_column("reference/settings.md") if re.fullmatch(r"[A-Z_0-9]+", n)
    }
    read = env_variables_read()
    assert read - documented == set(), (
        "settings read by the code but not in docs/reference/settings.md"
    )
    assert documented - read == set(), "settings in docs/reference/settings.md that nothing reads"


def test_every_finding_code_is_documented():
    documented = set()
    for cell in first_column("reference/finding-codes.md"):
        documented.add(cell)
    assert set(CODES) - documented == set(), (
        "finding codes missing from docs/reference/finding-codes.md"
    )
    assert documented - set(CODES) == set(), "documented finding codes that no longer exist"


def test_every_management_command_of_ours_is_documented_with_its_help():
    ours = {name for name, app in get_commands().items() if app in OUR_APPS}
    documented = " ".join(first_column("reference/commands.md"))
    missing = {name for name in ours if f"manage.py {name}" not in documented}
    assert missing == set(), "commands missing from docs/reference/commands.md"
    for name in ours:
        assert load_command_class(get_commands()[name], name).help.strip(), f"{name} has no help"


def test_the_generated_tables_hold_every_check_and_role():
    module = hooks()
    checks = module.render("<!-- generated: estate-checks -->")
    for key, (title, function) in CHECKS.items():
        assert (function.__doc__ or "").strip(), (
            f"estate check {key} has no docstring to document it"
        )
        assert f"| `{key}` | {title} |" in checks
    roles = module.render("<!-- generated: roles -->")
    for role in ROLES:
        assert role.description.strip()
        assert f"| {role.name} | {role.description}" in roles


def test_the_permission_table_shows_who_may_change_what():
    table = hooks().render("<!-- generated: role-permissions -->")
    lines = table.splitlines()
    head = [cell.strip() for cell in lines[0].split("|")[1:-1]]
    assert head == ["permission", "Planner", "SAN admin", "Operator", "Viewer"]
    rows = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        rows[cells[0].strip("`")] = dict(zip(head[1:], cells[1:], strict=True))
    # Only a Planner (of the roles) changes an LPAR; a SAN admin changes WWPNs too; only an
    # Operator changes migration jobs; the zoning download is the SAN admin's named permission.
    assert rows["inventory.change_lpar"] == {
        "Planner": "yes",
        "SAN admin": "",
        "Operator": "",
        "Viewer": "",
    }
    assert rows["inventory.change_wwpn"]["SAN admin"] == "yes"
    assert rows["migrations_app.change_migrationjob"] == {
        "Planner": "",
        "SAN admin": "",
        "Operator": "yes",
        "Viewer": "",
    }
    assert rows["planning.download_zoning"]["SAN admin"] == "yes"


def test_an_unknown_generated_table_is_refused():
    with pytest.raises(ValueError, match="unknown generated table 'nope'"):
        hooks().render("<!-- generated: nope -->")


def test_every_page_has_a_help_link_to_an_existing_guide():
    pages = {docs_site.HOME} | {page for _ns, _name, page in docs_site.HELP_PAGES}
    for page in pages:
        assert (DOCS / page.replace(".html", ".md")).is_file(), page
    # Every named page route of the apps resolves to one of them.
    for namespace in ("inventory", "planning", "migrations_app"):
        resolver = get_resolver().namespace_dict[namespace][1]
        for name in resolver.reverse_dict:
            if isinstance(name, str):
                assert docs_site.help_page(namespace, name) in pages


@pytest.mark.django_db
def test_the_site_is_served_when_built_and_says_how_to_build_it_when_not(
    client, settings, tmp_path
):
    login(client, user_create("vera", role="Viewer"))
    settings.DOCS_SITE_DIR = tmp_path / "missing"
    response = client.get("/docs/")
    assert response.status_code == 404
    assert b"make docs" in response.content

    site = tmp_path / "site"
    (site / "guides").mkdir(parents=True)
    (site / "index.html").write_text("<h1>lpmplanner docs</h1>")
    (site / "guides" / "san-admin.html").write_text("<h1>Zoning guide</h1>")
    (tmp_path / "secret.txt").write_text("outside")
    settings.DOCS_SITE_DIR = site
    assert b"lpmplanner docs" in b"".join(client.get("/docs/").streaming_content)
    page = client.get("/docs/guides/san-admin.html")
    assert b"Zoning guide" in b"".join(page.streaming_content)
    # The site's inline start-up scripts run (no nonce beside 'unsafe-inline', which would void
    # it), and still nothing loads from elsewhere.
    policy = page["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy
    assert "nonce-" not in policy.split("script-src")[1].split(";")[0]
    for outside in ("/docs/../secret.txt", "/docs/%2e%2e/secret.txt", "/docs/..%2fsecret.txt"):
        response = client.get(outside)
        assert response.status_code in (400, 404), outside
        assert b"outside" not in getattr(response, "content", b"")

    zoning = client.get("/zoning/")
    assert b'href="/docs/guides/san-admin.html"' in zoning.content
