"""How values read on pages: memory in GB (MB on hover), WWPNs in colon pairs, yes/no, labels
in the planner's words, related objects by name. Exports and the API keep the stored forms."""

import re
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from inventory.identifiers import wwpn_colon

if TYPE_CHECKING:  # the models' history imports this module
    from inventory.models import Drawer, Lpar

_M = TypeVar("_M", bound=models.Model)

# Words Django would write in lower or title case (`lpar` → "Lpar"), as planners write them.
_ACRONYMS = {
    "lpar": "LPAR",
    "lpars": "LPARs",
    "hmc": "HMC",
    "hmcs": "HMCs",
    "wwpn": "WWPN",
    "wwpns": "WWPNs",
    "vlan": "VLAN",
    "vlans": "VLANs",
    "vios": "VIOS",
    "pvid": "PVID",
    "msp": "MSP",
    "cec": "CEC",
    "drc": "DRC",
    "vsan": "VSAN",
    "mac": "MAC",
    "id": "id",
}
_WORD = re.compile(r"[A-Za-z]+")


def label_text(text: str) -> str:
    """A field's label with its acronyms in capitals and its first letter too: "LPAR",
    "Remote LPAR", "HMC"."""
    fixed = _WORD.sub(lambda m: _ACRONYMS.get(m.group(0).lower(), m.group(0)), str(text))
    return capfirst(fixed)


# What each model's label reads through (by model name: the models' own history imports this
# module), so a page of labels is one query.
LABEL_RELATED: dict[str, tuple[str, ...]] = {
    "lpar": ("frame",),
    "drawer": ("frame",),
    "sharedprocessorpool": ("frame",),
    "slot": ("drawer",),
    "adapter": ("slot__drawer",),
    "port": ("adapter__slot__drawer",),
    "virtualadapter": ("lpar",),
}


def choice_label(instance: models.Model) -> str:
    """How a related object reads in a select: its name, with its frame where names repeat
    from frame to frame (`vios1 (p750-a)`)."""
    model_name = instance._meta.model_name
    if model_name == "lpar":
        lpar = cast("Lpar", instance)
        return f"{lpar.name} ({lpar.frame.name})"
    if model_name == "drawer":
        drawer = cast("Drawer", instance)
        return f"{drawer.location} ({drawer.frame.name})"
    return str(instance)


def labelled(model: type[_M]) -> models.QuerySet[_M]:
    """The model's rows, with what their labels read."""
    related = LABEL_RELATED.get(model._meta.model_name or "", ())
    return model._default_manager.select_related(*related)


def memory_text(mb: int | None) -> str:
    """`2 GB`, `1.5 GB`, `384 GB` (MB / 1024, at most two decimals)."""
    if mb is None:
        return "—"
    gb = f"{mb / 1024:.2f}".rstrip("0").rstrip(".")
    return f"{gb} GB"


def memory_html(mb: int | None) -> SafeString | str:
    """Memory in GB, the exact MB on hover."""
    if mb is None:
        return "—"
    return format_html('<span title="{} MB" data-mb="{}">{}</span>', f"{mb:,}", mb, memory_text(mb))


def wwpn_html(value: str | None) -> SafeString | str:
    """A WWPN in colon pairs, as SAN switches print it, in a fixed-width font."""
    if not value:
        return "—"
    return format_html('<span class="font-monospace wwpn">{}</span>', wwpn_colon(value))


def yes_no(value: bool | None) -> str:
    return "—" if value is None else ("Yes" if value else "No")


MEMORY_FIELDS = {"memory_mb"}


def field_label(field: models.Field[Any, Any]) -> str:
    """A field's label on a page; memory, shown in GB there, loses its "(MB)"."""
    text = str(field.verbose_name)
    if field.name in MEMORY_FIELDS:
        text = text.replace(" (MB)", "")
    return label_text(text)


def field_value(
    model: type[models.Model],
    name: str,
    value: Any,
    *,
    related_cache: dict[tuple[Any, Any], str] | None = None,
) -> Any:
    """A stored value of `model.name` as a page shows it: a related object by its name (or
    "#7, since deleted"), a choice by its label, yes/no, memory in GB, WWPNs in colon pairs."""
    if value is None or value == "":
        return "—"
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    related = field.related_model
    if field.is_relation and field.many_to_one and related is not None:
        key = (related, value)
        cache = related_cache if related_cache is not None else {}
        if key not in cache:
            found = labelled(related).filter(pk=value).first()
            cache[key] = choice_label(found) if found else f"#{value}, since deleted"
        return cache[key]
    if not isinstance(field, models.Field):
        return value  # a reverse relation: nothing of its own is stored
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, models.BooleanField):
        return yes_no(value)
    if name in MEMORY_FIELDS:
        return memory_html(value)
    if model._meta.model_name == "wwpn" and name == "value":
        return wwpn_html(value)
    return value
