"""What planners see before acting: an LPAR's paths (server-side SVG) with their red single
points of failure, and a fabric's zoning preview with the change since its last export."""

import re

import pytest

from inventory.models import Fabric, Wwpn
from planning.evacuation import evacuation_plan_create
from planning.paths import lpar_paths, paths_svg
from planning.stubs import lpar_create_stub_twin
from planning.zoning.exports import zoning_export
from planning.zoning.plan import zoning_plan
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
    for hop in (
        "vFC slot 610 (fcs0)",
        "vios1 slot 610",
        "vios2 slot 610",
        "FAB_A (side A)",
        "FAB_B (side B)",
        "fs9k1 N1P1",
        "VLAN 400",
        "trunk slot",
    ):
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


def test_the_zoning_preview_lists_aliases_and_zones_and_the_change_since_the_last_export(
    client, viewer, demo
):
    fabric = Fabric.objects.get(name="FAB_A")
    login(client, viewer)
    page = f"/zoning/fabrics/{fabric.pk}/preview/"
    body = client.get(page).content.decode()
    assert "Never exported: every alias and zone below is new." in body
    aliases = body.split('data-testid="aliases"', 1)[1].split("</table>", 1)[0]
    zones = body.split('data-testid="zones"', 1)[1].split("</table>", 1)[0]
    assert "server1" in aliases and "c0:50:76:04:31:67:00:10" in aliases
    assert aliases.count("<tr>") - 1 == len(zoning_plan(fabric=fabric).of(fabric).initiators)
    assert "<code>" in zones and "fs9k1" not in zones.split("<tbody>")[0]

    zoning_export(fabric=fabric, format="xlsx", user=viewer)
    lpar_create_stub_twin(lpar=demo["server1"], destination_frame=demo["p750-b"])
    body = client.get(page).content.decode()
    since = body.split('data-testid="since-last-export"', 1)[1].split("</div></div>", 1)[0]
    assert "2 alias(es) added, 0 removed" in since
    assert "<code>server1_stub_s710_w1</code>, <code>server1_stub_s710_w2</code>" in since
    rows = body.split('data-testid="aliases"', 1)[1].split("</table>", 1)[0].split("<tr>")
    added = [r for r in rows if "<strong>added</strong>" in r]
    assert len(added) == 2 and all("server1-stub" in r for r in added)


def test_the_evacuation_plans_timeline_shows_its_waves_jobs_and_limits(client, viewer, demo):
    plan = evacuation_plan_create(frame=demo["p750-a"])
    login(client, viewer)
    body = client.get(f"/planning/evacuation-plans/{plan.pk}/").content.decode()
    svg = body.split('data-testid="timeline-picture"', 1)[1].split("</svg>", 1)[0]
    text = _texts(svg)
    assert "Wave 1" in text
    for lpar in ("db1", "server2", "lnx1", "server1"):
        assert re.search(rf"{lpar}\s", text), lpar
    assert svg.count('class="bar bar-planned"') == 4
    assert "p750-b: at most 4 migrations at once" in text
    assert "Each mover service partition (MSP): at most 4 migrations at once" in text
    assert "p750-a 4 of 4 (full)" in text  # the wave's load against the frame's limit
    assert "planned: → p750-b, about" in text
