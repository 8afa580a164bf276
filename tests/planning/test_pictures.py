"""The pictures (server-side SVG): an LPAR's paths, and their red single points of failure."""

import re

import pytest

from inventory.models import Wwpn
from planning.paths import lpar_paths, paths_svg
from tests.factories import login

pytestmark = pytest.mark.django_db


def _texts(svg: str) -> str:
    return re.sub(r"<[^>]+>", " ", svg)


def test_the_paths_of_server1_reach_both_fabrics_through_both_vios(client, viewer, demo):
    login(client, viewer)
    body = client.get(f"/planning/lpars/{demo['server1'].pk}/").content.decode()
    svg = body.split('<svg xmlns="http://www.w3.org/2000/svg"', 1)[1].split("</svg>", 1)[0]
    assert "<title" in svg and "<desc" in svg
    text = _texts(svg)
    for hop in ("vFC slot 610 (fcs0)", "vios1 slot 610", "vios2 slot 610", "FAB_A (side A)",
                "FAB_B (side B)", "fs9k1 N1P1", "VLAN 400", "trunk slot"):  # fmt: skip
        assert hop in text, hop
    assert "path-red" not in svg and "✗" not in text
    assert "Every storage path and VLAN is redundant" in body


def test_a_missing_fabric_draws_the_paths_red_and_says_why(demo):
    Wwpn.objects.filter(port__isnull=False, fabric__name="FAB_B").update(fabric=None)
    picture = lpar_paths(lpar=demo["server1"])
    assert not picture.redundant
    assert picture.summary[0] == (
        "The storage of server1 reaches no fabric of side B: a fabric outage there takes every "
        "path."
    )
    svg = paths_svg(picture)
    assert svg.count('class="path path-red"') == len([p for p in picture.paths if p.red])
    assert 'stroke-dasharray="6 4"' in svg  # not colour alone
    assert "is on no fabric" in _texts(svg)
    assert "The storage of server1 reaches no fabric of side B" in _texts(svg)
