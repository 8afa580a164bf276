"""Extension point for rules that other apps add to the inventory's validation.

The inventory imports nothing of `planning`, yet the planning rules (the enumeration scheme's
slot ranges) must hold on every path that saves a virtual adapter: forms, grid, API, importer.
So `planning` registers its rule here when it starts (AppConfig.ready), and the models' clean()
asks every registered rule.

Registered rules are planning rules: they judge what a person or the planner's own tools set.
What an HMC reports is a fact, recorded as it is (`facts_recorded`); the estate checks then show
where it breaks a planning rule. The models' own invariants (constraints, clean()) always hold.
"""

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections, models

Rule = Callable[[models.Model], dict[str, str]]

_rules: dict[type[models.Model], list[Rule]] = {}
_recording_facts: ContextVar[bool] = ContextVar("recording_facts", default=False)


@contextmanager
def facts_recorded() -> Iterator[None]:
    """Within this block rows are facts read from an HMC: no registered (planning) rule refuses
    them; the models' invariants still do."""
    token = _recording_facts.set(True)
    try:
        yield
    finally:
        _recording_facts.reset(token)


def facts_being_recorded() -> bool:
    """Whether the rows being saved now are facts read from an HMC (`facts_recorded`)."""
    return _recording_facts.get()


def rule_lock(name: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Serialise, to the end of the current transaction, every writer that checks the rule
    `name` before it saves: a rule the database does not hold (a uniqueness across frames) is
    otherwise checked by two transactions at once, each blind to the other's row, and both save.

    PostgreSQL: a transaction-level advisory lock named after the rule. SQLite: nothing to do,
    its transactions begin IMMEDIATE (settings), so writers are serialised already."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError(f"rule_lock({name!r}) outside a transaction would be released at once.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])


def rule_register(model: type[models.Model], rule: Rule) -> None:
    """Add `rule` for `model`: it returns {field: message} for what it refuses, {} if fine."""
    if rule not in _rules.setdefault(model, []):
        _rules[model].append(rule)


def rule_errors(instance: models.Model) -> dict[str, str]:
    """Every registered rule's errors for `instance` (the first message per field); none while
    facts are being recorded."""
    errors: dict[str, str] = {}
    if _recording_facts.get():
        return errors
    for rule in _rules.get(type(instance), []):
        for field, message in rule(instance).items():
            errors.setdefault(field, message)
    return errors
