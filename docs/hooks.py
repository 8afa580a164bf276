"""MkDocs hook: reference tables generated from the code, so they cannot drift.

A page asks for a table with a marker line `<!-- generated: NAME -->`; `make docs` (and the test
in tests/test_docs.py) replaces it with the table built from the code below.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.M)


def _django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lpmplanner.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def estate_checks() -> str:
    from planning.checks import CHECKS

    rows = ["| check | title | what it lists |", "|---|---|---|"]
    for key, (title, function) in CHECKS.items():
        doc = (function.__doc__ or "").strip().split("\n\n")[0]
        rows.append(f"| `{key}` | {_cell(title)} | {_cell(doc)} |")
    return "\n".join(rows)


def _permissions_of(role) -> list[str]:
    """The role's permissions, worked out from the models as `Role.permissions` does in the DB."""
    from django.apps import apps
    from django.contrib.auth.management import _get_all_permissions

    from lpmplanner.roles import APPS

    granted = []
    for app_label in APPS:
        for model in apps.get_app_config(app_label).get_models():
            name = model._meta.model_name
            for codename, _label in _get_all_permissions(model._meta):
                key = f"{app_label}.{codename}"
                if key in role.exclude:
                    continue
                if (
                    codename.startswith("view_")
                    or app_label in role.edit_apps
                    or f"{app_label}.{name}" in role.edit_models
                    or key in role.extra
                ):
                    granted.append(key)
    return granted


def roles() -> str:
    from lpmplanner.roles import ROLES

    rows = ["| role | what it is for | edits | named permissions |", "|---|---|---|---|"]
    for role in ROLES:
        edits = ", ".join(f"`{a}` (all)" for a in role.edit_apps)
        models = ", ".join(f"`{m}`" for m in role.edit_models)
        edits = ", ".join(part for part in (edits, models) if part) or "nothing"
        extra = ", ".join(f"`{p}`" for p in role.extra) or "none"
        rows.append(f"| {role.name} | {_cell(role.description)} | {edits} | {extra} |")
    return "\n".join(rows)


def role_permissions() -> str:
    from lpmplanner.roles import ROLES

    per_role = {role.name: set(_permissions_of(role)) for role in ROLES}
    every = sorted(set().union(*per_role.values()))
    head = "| permission | " + " | ".join(per_role) + " |"
    rows = [head, "|---|" + "---|" * len(per_role)]
    for key in every:
        if key.split(".", 1)[1].startswith("view_") and all(key in p for p in per_role.values()):
            continue  # everyone reads everything: said once above the table
        marks = " | ".join("yes" if key in per_role[name] else "" for name in per_role)
        rows.append(f"| `{key}` | {marks} |")
    return "\n".join(rows)


def api_operations() -> str:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    rows = ["| method | path | what |", "|---|---|---|"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            what = operation.get("summary") or operation.get("description") or ""
            what = what.strip().split("\n\n")[0]
            rows.append(f"| {method.upper()} | `{path}` | {_cell(what)} |")
    return "\n".join(rows)


TABLES = {
    "api-operations": api_operations,
    "estate-checks": estate_checks,
    "roles": roles,
    "role-permissions": role_permissions,
}


def render(markdown: str) -> str:
    """The page with every `<!-- generated: NAME -->` marker replaced by its table."""

    def table(match: re.Match) -> str:
        name = match.group(1)
        if name not in TABLES:
            raise ValueError(f"unknown generated table {name!r}; known: {', '.join(TABLES)}")
        _django()
        return TABLES[name]()

    return MARKER.sub(table, markdown)


def on_page_markdown(markdown, page, config, files):
    return render(markdown)
