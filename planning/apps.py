"""The planning app: on start it adds the enumeration scheme's rule to the inventory's rules."""

from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Planning"

    def ready(self) -> None:
        from inventory.models import VirtualAdapter
        from inventory.rules import rule_register
        from planning.rules import virtual_adapter_slot_rule

        rule_register(VirtualAdapter, virtual_adapter_slot_rule)
