"""Template filters for how values read on pages (see inventory/display.py)."""

from django import template
from django.utils.safestring import SafeString

from inventory import display

register = template.Library()


@register.filter
def memory(mb: int | None) -> SafeString | str:
    """`{{ lpar.memory_mb|memory }}`: GB, the exact MB on hover."""
    return display.memory_html(mb)


@register.filter
def wwpn(value: str | None) -> SafeString | str:
    """`{{ wwpn.value|wwpn }}`: colon pairs."""
    return display.wwpn_html(value)
