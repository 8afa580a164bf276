"""The global search: LPAR and frame names, serials, WWPNs in any spelling, VLAN ids and names,
HMC names; a few results of each kind, each kind linking to its full, filtered list."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model, Q
from django.urls import reverse

from inventory.identifiers import wwpn_colon
from inventory.models import Frame, Hmc, Lpar, Vlan, Wwpn

PER_KIND = 8
_HEX_NOISE = re.compile(r"[\s:.\-]")
_HEX = re.compile(r"(0x)?[0-9a-f]{4,16}")

_Row = TypeVar("_Row", bound=Model)


@dataclass(frozen=True)
class Hit:
    text: str
    url: str
    detail: str = ""


@dataclass
class Group:
    """The hits of one kind; `more` is set when there are more than shown."""

    kind: str
    list_url: str
    hits: list[Hit] = field(default_factory=list)
    more: bool = False


def wwpn_digits(text: str) -> str:
    """The hex digits of a WWPN (or the start of one) typed in any spelling, or ""."""
    digits = _HEX_NOISE.sub("", text).lower()
    if not _HEX.fullmatch(digits):
        return ""
    return digits.removeprefix("0x")


def _list_url(model_name: str, **query: str) -> str:
    return f"{reverse(f'inventory:{model_name}-list')}?{urlencode(query)}"


def _group(
    kind: str, list_url: str, rows: Sequence[_Row], hit: Callable[[_Row], Hit]
) -> Group | None:
    if not rows:
        return None
    return Group(kind, list_url, [hit(row) for row in rows[:PER_KIND]], len(rows) > PER_KIND)


def _lpar_hit(lpar: Lpar) -> Hit:
    detail = f"{lpar.get_kind_display()} on {lpar.frame.name}, LPAR id {lpar.lpar_id}"
    return Hit(lpar.name, lpar.get_absolute_url(), detail)


def _frame_hit(frame: Frame) -> Hit:
    detail = f"{frame.machine_type}-{frame.model}, serial {frame.serial}"
    return Hit(frame.name, frame.get_absolute_url(), detail)


def _wwpn_hit(wwpn: Wwpn) -> Hit:
    owner = wwpn.port or wwpn.virtual_adapter or wwpn.storage_port
    return Hit(
        wwpn_colon(wwpn.value), wwpn.get_absolute_url(), f"{wwpn.get_kind_display()} of {owner}"
    )


def _vlan_hit(vlan: Vlan) -> Hit:
    return Hit(str(vlan.vlan_id), vlan.get_absolute_url(), vlan.name)


def _hmc_hit(hmc: Hmc) -> Hit:
    return Hit(hmc.name, hmc.get_absolute_url(), hmc.host)


def estate_search(*, text: str, user: User | AnonymousUser) -> list[Group]:
    """What `text` names, grouped by kind, only the kinds `user` may see. Every lookup is
    limited to a few rows, so a search costs the same on an estate of any size."""
    text = text.strip()
    if not text:
        return []
    take = PER_KIND + 1
    groups: list[Group | None] = []
    can = user.has_perm
    if can("inventory.view_lpar"):
        lpars = list(
            Lpar.objects.select_related("frame")
            .filter(name__icontains=text)
            .order_by("name", "frame__name")[:take]
        )
        groups.append(_group("LPARs", _list_url("lpar", q=text), lpars, _lpar_hit))
    if can("inventory.view_frame"):
        frames = list(
            Frame.objects.filter(Q(name__icontains=text) | Q(serial__icontains=text)).order_by(
                "name"
            )[:take]
        )
        groups.append(_group("Frames", _list_url("frame", q=text), frames, _frame_hit))
    digits = wwpn_digits(text)
    if digits and can("inventory.view_wwpn"):
        lookup = {"value": digits} if len(digits) == 16 else {"value__startswith": digits}
        wwpns = list(
            Wwpn.objects.select_related(
                "port__adapter__slot__drawer", "virtual_adapter__lpar", "storage_port"
            )
            .filter(**lookup)
            .order_by("value")[:take]
        )
        groups.append(_group("WWPNs", _list_url("wwpn", q=digits), wwpns, _wwpn_hit))
    if can("inventory.view_vlan"):
        condition = Q(name__icontains=text)
        if text.isdigit():
            condition |= Q(vlan_id=int(text))
        vlans = list(Vlan.objects.filter(condition).order_by("vlan_id")[:take])
        groups.append(_group("VLANs", _list_url("vlan", q=text), vlans, _vlan_hit))
    if can("inventory.view_hmc"):
        hmcs = list(
            Hmc.objects.filter(Q(name__icontains=text) | Q(host__icontains=text)).order_by("name")[
                :take
            ]
        )
        groups.append(_group("HMCs", _list_url("hmc", q=text), hmcs, _hmc_hit))
    return [group for group in groups if group is not None]
