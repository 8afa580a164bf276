"""A pre-flight against every frame reads every frame's facts (capacities, VIOS slots, fabric
reach) kept at the current estate version: the first one keeps them, the next reads them back,
and any committed edit to the inventory makes the next pre-flight see the edit (no stale
verdict)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Fabric, Frame, Lpar, VirtualAdapter, Wwpn
from planning.cache import estate_version
from planning.models import EstateSummary
from planning.preflight import FRAMES_FACTS, Verdict, lpar_migratability
from tests.demo_estate import demo_estate_restore

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server1(default_scheme) -> Lpar:
    """The demo estate, committed: server1 on p750-a moves to p750-b without a finding."""
    demo_estate_restore()
    return Lpar.objects.get(name="server1")


def to_p750b(lpar: Lpar):
    (only,) = lpar_migratability(lpar=lpar)
    assert only.frame.name == "p750-b"
    return only


def codes(result) -> set[str]:
    return {f.code for f in result.findings}


def test_the_frames_facts_are_kept_once_per_estate_version(server1):
    assert to_p750b(server1).verdict == Verdict.OK
    kept = EstateSummary.objects.get(kind=FRAMES_FACTS)
    assert kept.version == estate_version()
    with CaptureQueriesContext(connection) as again:
        assert to_p750b(server1).verdict == Verdict.OK
    # read back, not computed again: no statement counts VIOS slots or sums capacities
    sql = " ".join(q["sql"] for q in again.captured_queries).upper()
    assert "COUNT(" not in sql and "SUM(" not in sql
    assert EstateSummary.objects.get(kind=FRAMES_FACTS).computed == kept.computed


def test_a_new_server_adapter_taking_the_last_vios_slot_blocks_the_next_preflight(server1):
    # Each VIOS of p750-b keeps exactly the slots server1's storage needs there.
    vioses = Lpar.objects.filter(frame__name="p750-b", kind="vios")
    needed = {v.pk: 0 for v in vioses}
    result = to_p750b(server1)
    assert result.verdict == Verdict.OK
    for adapter in VirtualAdapter.objects.filter(lpar=server1, kind__in=("vscsi", "vfc")):
        assert adapter.remote_lpar_id is not None
    for vios in vioses:
        used = vios.virtual_adapters.count()
        vios.max_virtual_slots = 2 + used + 2  # SLOT_MIN, its adapters, two more
        vios.save(update_fields=["max_virtual_slots"])
        needed[vios.pk] = used
    result = to_p750b(server1)
    assert result.verdict == Verdict.OK, result.findings
    vios = max(vioses, key=lambda v: v.pk)
    top = vios.virtual_adapters.order_by("-slot").first().slot
    for n in (1, 2):
        VirtualAdapter.objects.create(lpar=vios, kind="vscsi", role="server", slot=top + n)
    result = to_p750b(server1)
    assert result.verdict == Verdict.BLOCKED
    assert "VIOS_SLOTS" in codes(result)
    assert any(f.data.get("vios") == vios.name for f in result.findings)


def test_fc_ports_moved_to_another_fabric_block_the_next_preflight(server1):
    assert to_p750b(server1).verdict == Verdict.OK
    ports = Wwpn.objects.filter(
        port__adapter__owner__frame__name="p750-b", port__adapter__owner__kind="vios"
    )
    assert ports.exists()
    ports.update(fabric=Fabric.objects.create(name="FAB_C", side="A", vendor="brocade"))
    result = to_p750b(server1)
    assert result.verdict == Verdict.BLOCKED
    assert "NPIV_FABRIC" in codes(result)


def test_capacity_taken_on_the_destination_shows_in_the_next_preflight(server1):
    assert to_p750b(server1).verdict == Verdict.OK
    b = Frame.objects.get(name="p750-b")
    used = sum(p.memory_mb for p in b.lpars.all())
    Frame.objects.filter(pk=b.pk).update(memory_mb=used + 1024)
    result = to_p750b(server1)
    assert "CAPACITY_MEMORY" in codes(result)
