"""The planning app: on start it adds the enumeration scheme's rule to the inventory's rules;
after `migrate` it (re)installs the triggers that raise the estate version (`planning.cache`)."""

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Planning"

    def ready(self) -> None:
        from inventory.models import VirtualAdapter
        from inventory.rules import rule_register
        from planning.rules import virtual_adapter_slot_rule

        rule_register(VirtualAdapter, virtual_adapter_slot_rule)
        post_migrate.connect(_triggers_install, sender=self)


def _triggers_install(sender, using: str = "default", **kwargs) -> None:
    from planning.cache import triggers_install

    triggers_install(using=connections[using])
