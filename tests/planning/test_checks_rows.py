"""The estate checks read only the rows each check can fire on (`CHECK_ROWS`): on an estate that
breaks every check in several ways, they find exactly what running every check on the whole
estate finds, in the same order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Lpar, SharedProcessorPool, VirtualAdapter, Vlan, Wwpn
from inventory.seeding import estate_seed
from planning.checks import CHECKS, Estate, estate_check
from planning.models import EnumerationScheme, FrameScheme
from planning.stubs import lpar_create_stub_twin
from tests.factories import FrameFactory, LparFactory, ViosFactory
from tests.planning.helpers import vios

pytestmark = pytest.mark.django_db


def _break_every_check(demo: dict) -> None:
    lpar_create_stub_twin(lpar=demo["server1"], destination_frame=demo["p750-b"])
    # twin_same_frame: a twin found back on its original's frame
    twin = lpar_create_stub_twin(
        lpar=Lpar.objects.get(name="server2"), destination_frame=demo["p750-b"]
    )
    Lpar.objects.filter(pk=twin.pk).update(frame=demo["p750-a"])
    estate_seed(frames=3, lpars_per_frame=4, seed=7)
    sim = list(Lpar.objects.filter(frame__name__startswith="sim-").exclude(kind="vios")[:6])
    # slot_range: a narrowed default, and a frame on a scheme of its own with a low ceiling
    EnumerationScheme.objects.filter(is_default=True).update(vfc_last=615)
    own = EnumerationScheme.objects.create(
        name="tight", vios_lpar_ids=[1, 2], ethernet_first=11, slot_ceiling=700
    )
    FrameScheme.objects.create(frame=sim[0].frame, scheme=own)
    # lpar_id_reused: clients on the VIOS's ids
    LparFactory(frame=FrameFactory(hmc=demo["p750-a"].hmc), lpar_id=1, name="early")
    LparFactory(frame=FrameFactory(hmc=demo["p750-b"].hmc), lpar_id=2, name="early2")
    # vios_id
    ViosFactory(frame=demo["p750-b"], lpar_id=5, name="vios5")
    # vios_side: a missing server, a misdirected one, a client naming no VIOS or no slot
    VirtualAdapter.objects.filter(lpar=vios("p750-a", "vios1"), slot=610).delete()
    VirtualAdapter.objects.filter(lpar=vios("p750-a", "vios2"), slot=210).update(remote_slot=299)
    storage = VirtualAdapter.objects.filter(role="client", kind__in=["vscsi", "vfc"])
    first, second = storage.filter(lpar=sim[2]).order_by("slot")[:2]
    VirtualAdapter.objects.filter(pk=first.pk).update(remote_lpar=None)
    VirtualAdapter.objects.filter(pk=second.pk).update(remote_slot=None)
    # single_vios: one LPAR's second VIOS paths gone
    storage.filter(lpar=sim[3], slot__in=[220, 620]).delete()
    # wwpn_pair: one WWPN gone here, both there
    Wwpn.objects.filter(virtual_adapter__lpar=sim[4], position=2).first().delete()
    Wwpn.objects.filter(virtual_adapter__lpar=sim[5], virtual_adapter__slot=620).delete()
    # wwpn_fabric: a client's WWPN and a physical port's
    Wwpn.objects.filter(pk=Wwpn.objects.filter(virtual_adapter__lpar=sim[4]).first().pk).update(
        fabric=None
    )
    Wwpn.objects.filter(pk=Wwpn.objects.filter(port__isnull=False).first().pk).update(fabric=None)
    # vlan_bridge: a VLAN one frame's trunks drop, and a tagged VLAN no trunk carries
    for trunk in VirtualAdapter.objects.filter(lpar__frame__name="p750-b", role="trunk"):
        trunk.vlans.remove(*trunk.vlans.filter(vlan_id=401))
    lonely = Vlan.objects.create(vlan_id=3999, name="lonely")
    VirtualAdapter.objects.filter(lpar=sim[1], kind="ethernet").first().vlans.add(lonely)
    # disk_order: another order on the second VIOS; two adapters on one VIOS for one client
    server = VirtualAdapter.objects.get(lpar=vios("p750-a", "vios1"), slot=210)
    VirtualAdapter.objects.filter(pk=server.pk).update(backing_devices=["hdisk3", "hdisk2"])
    served = VirtualAdapter.objects.filter(kind="vscsi", role="server", remote_lpar=sim[0])
    extra = served.first()
    VirtualAdapter.objects.create(
        lpar_id=extra.lpar_id,
        kind="vscsi",
        role="server",
        slot=399,
        remote_lpar=sim[0],
        remote_slot=230,
        backing_devices=extra.backing_devices,
    )
    # shared_pools
    SharedProcessorPool.objects.create(frame=demo["p750-a"], pool_id=1, name="prod")
    # stub_drift: a twin whose original grew
    Lpar.objects.filter(pk=demo["server1"].pk).update(memory_mb=4096)
    # twin_same_frame: a twin on the frame of its original
    LparFactory(frame=demo["p750-a"], lpar_id=60, name="server1-near", stub_of=demo["server1"])


def test_each_check_on_its_own_rows_finds_what_the_whole_estate_shows(demo):
    _break_every_check(demo)
    whole = estate_check(estate=Estate.load())
    assert {v.check for v in whole} == set(CHECKS)
    assert len(whole) > 2 * len(CHECKS)
    with CaptureQueriesContext(connection) as queries:
        narrowed = estate_check()
    assert narrowed == whole
    assert len(queries) < 40
