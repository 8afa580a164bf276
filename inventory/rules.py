"""Extension point for rules that other apps add to the inventory's validation.

The inventory imports nothing of `planning`, yet the planning rules (the enumeration scheme's
slot ranges) must hold on every path that saves a virtual adapter: forms, grid, API, importer.
So `planning` registers its rule here when it starts (AppConfig.ready), and the models' clean()
asks every registered rule.
"""

from collections.abc import Callable

from django.db import models

Rule = Callable[[models.Model], dict[str, str]]

_rules: dict[type[models.Model], list[Rule]] = {}


def rule_register(model: type[models.Model], rule: Rule) -> None:
    """Add `rule` for `model`: it returns {field: message} for what it refuses, {} if fine."""
    if rule not in _rules.setdefault(model, []):
        _rules[model].append(rule)


def rule_errors(instance: models.Model) -> dict[str, str]:
    """Every registered rule's errors for `instance` (the first message per field)."""
    errors: dict[str, str] = {}
    for rule in _rules.get(type(instance), []):
        for field, message in rule(instance).items():
            errors.setdefault(field, message)
    return errors
