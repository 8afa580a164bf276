"""`seed_demo` loads the worked example once; `seed_estate` builds a valid estate, adds to one
without clashing, and is deterministic for a seed."""

from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from inventory.models import (
    Adapter,
    Drawer,
    Fabric,
    Frame,
    Hmc,
    Lpar,
    Port,
    SharedProcessorPool,
    Slot,
    StoragePort,
    VirtualAdapter,
    Vlan,
    Wwpn,
)
from planning.checks import estate_check
from tests.factories import LparFactory

pytestmark = pytest.mark.django_db

MODELS = (
    Hmc,
    Frame,
    Drawer,
    Slot,
    Adapter,
    Port,
    Vlan,
    Fabric,
    StoragePort,
    SharedProcessorPool,
    Lpar,
    VirtualAdapter,
    Wwpn,
)
# (kind, role) → the enumeration scheme's slot range.
SLOT_RANGES = {
    ("ethernet", "client"): range(10, 101),
    ("ethernet", "trunk"): range(10, 101),
    ("vscsi", "client"): range(200, 401),
    ("vscsi", "server"): range(200, 401),
    ("vfc", "client"): range(600, 801),
    ("vfc", "server"): range(600, 801),
}


def run(command: str, **options) -> str:
    out = StringIO()
    call_command(command, stdout=out, **options)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    counts = {}
    for model in MODELS:
        counts[model.__name__] = model.objects.count()
        counts[f"{model.__name__} history"] = model.history.count()
    return counts


def test_seed_demo_creates_the_worked_example():
    out = run("seed_demo")
    assert "Loaded the demo estate" in out

    hmc = Hmc.objects.get(name="hmc-sim")
    assert (hmc.host, hmc.ssh_port, hmc.username) == ("127.0.0.1", 2222, "hscroot")
    assert hmc.password
    assert hmc.host_key.startswith("[127.0.0.1]:2222 ssh-ed25519 ")
    frames = {f.name: f for f in Frame.objects.all()}
    assert set(frames) == {"p750-a", "p750-b"}
    assert {(f.machine_type, f.model, f.hmc_id) for f in frames.values()} == {
        ("8233", "E8B", hmc.pk)
    }
    assert frames["p750-a"].serial != frames["p750-b"].serial

    server1 = Lpar.objects.get(name="server1")
    assert server1.frame.name == "p750-a"
    assert (server1.lpar_id, server1.kind) == (10, "aix")
    assert (server1.proc_units, server1.memory_mb) == (Decimal("1.0"), 2048)
    for frame in frames.values():
        vioses = {v.name: v.lpar_id for v in frame.lpars.filter(kind="vios", msp=True)}
        assert vioses == {"vios1": 1, "vios2": 2}
    vios = {v.name: v for v in server1.frame.lpars.filter(kind="vios")}

    adapters = {a.slot: a for a in server1.virtual_adapters.all()}
    assert set(adapters) == {10, 210, 220, 610, 620}
    assert (adapters[10].kind, adapters[10].pvid_id) == ("ethernet", 400)
    expected = {
        210: ("vscsi", "vios1"),
        220: ("vscsi", "vios2"),
        610: ("vfc", "vios1"),
        620: ("vfc", "vios2"),
    }
    backing = []
    for slot, (kind, vios_name) in expected.items():
        client = adapters[slot]
        assert (client.kind, client.role, client.remote_lpar) == (kind, "client", vios[vios_name])
        server = VirtualAdapter.objects.get(lpar=client.remote_lpar, slot=client.remote_slot)
        assert (server.kind, server.role) == (kind, "server")
        assert (server.remote_lpar, server.remote_slot) == (server1, slot)
        if kind == "vscsi":
            assert server.device_name.startswith("vhost")
            backing.append(server.backing_devices)
        else:
            assert server.device_name.startswith("vfchost")
            assert server.physical_port.adapter.owner == vios[vios_name]
            wwpns = [int(w.value, 16) for w in client.wwpns.order_by("position")]
            assert len(wwpns) == 2
            assert all(f"{w:016x}".startswith("c05076") for w in wwpns)
            assert wwpns[1] == wwpns[0] + 1
            assert {w.fabric for w in client.wwpns.all()} == {server.physical_port.wwpn.fabric}
    assert backing[0] == backing[1] and backing[0]

    assert Fabric.objects.get(name="FAB_A").zoneset_name == "cfg_FAB_A"
    assert (Fabric.objects.get(name="FAB_B").vsan, Fabric.objects.get(name="FAB_B").vendor) == (
        200,
        "cisco",
    )
    assert {p.fabric.name for p in StoragePort.objects.all()} == {"FAB_A", "FAB_B"}
    assert {1, 400, 401} <= set(Vlan.objects.values_list("vlan_id", flat=True))
    trunks = VirtualAdapter.objects.filter(role="trunk")
    assert trunks.count() == 4
    assert all({400, 401} <= set(t.vlan_ids) for t in trunks)
    assert_valid_estate()


def test_seed_demo_is_idempotent():
    run("seed_demo")
    before = row_counts()
    assert "nothing changed" in run("seed_demo")
    assert row_counts() == before


def test_seed_demo_changes_nothing_when_it_clashes():
    LparFactory(lpar_id=10, name="elsewhere")
    before = row_counts()
    with pytest.raises(CommandError, match="LPAR id"):
        run("seed_demo")
    assert row_counts() == before


def assert_valid_estate(*, ids_reused: bool = False) -> None:
    """Every rule the models enforce, plus the scheme and the wiring the seeders promise."""
    for model in MODELS:
        for instance in model.objects.all():
            instance.full_clean()
    values = list(Wwpn.objects.values_list("value", flat=True))
    assert len(values) == len(set(values))
    client_ids = list(Lpar.objects.exclude(kind="vios").values_list("lpar_id", flat=True))
    assert (len(client_ids) != len(set(client_ids))) == ids_reused
    names = list(Lpar.objects.exclude(kind="vios").values_list("name", flat=True))
    assert len(names) == len(set(names))
    assert set(Lpar.objects.filter(kind="vios").values_list("lpar_id", flat=True)) <= {1, 2}
    logins = Counter()
    for adapter in VirtualAdapter.objects.select_related("lpar", "remote_lpar"):
        assert adapter.slot in SLOT_RANGES[adapter.kind, adapter.role], adapter
        if adapter.kind == "ethernet":
            continue
        remote = adapter.remote_lpar
        assert remote.frame_id == adapter.lpar.frame_id
        partner = VirtualAdapter.objects.get(lpar=remote, slot=adapter.remote_slot)
        assert (partner.kind, partner.remote_lpar_id, partner.remote_slot) == (
            adapter.kind,
            adapter.lpar_id,
            adapter.slot,
        )
        if adapter.kind == "vfc" and adapter.role == "client":
            pair = sorted(int(v, 16) for v in adapter.wwpns.values_list("value", flat=True))
            assert len(pair) == 2 and pair[1] == pair[0] + 1
        if adapter.kind == "vfc" and adapter.role == "server":
            logins[adapter.physical_port_id] += 1
    assert max(logins.values(), default=0) <= 64
    for frame in Frame.objects.all():
        lpars = list(frame.lpars.all())
        assert sum(lpar.proc_units for lpar in lpars) <= frame.proc_units
        assert sum(lpar.memory_mb for lpar in lpars) <= frame.memory_mb
        assert all(frame.accepts_compat_mode(lpar.compat_mode) for lpar in lpars)


def test_seed_estate_builds_a_valid_estate():
    out = run("seed_estate", frames=3, lpars_per_frame=4, seed=7)
    assert "Added 3 frames" in out
    assert Frame.objects.count() == 3
    assert Lpar.objects.filter(kind="vios").count() == 6
    assert Lpar.objects.exclude(kind="vios").count() == 12
    # Per frame: 2 trunks; per client: Ethernet, 2 vSCSI and 2 vFC clients, 4 VIOS servers.
    assert VirtualAdapter.objects.count() == 3 * 2 + 12 * 9
    assert Wwpn.objects.filter(virtual_adapter__isnull=False).count() == 12 * 2 * 2
    assert Wwpn.objects.filter(port__isnull=False).count() == 3 * 4 * 2
    assert Wwpn.objects.filter(storage_port__isnull=False).count() == 4
    assert set(VirtualAdapter.objects.filter(role="client").values_list("slot", flat=True)) == {
        10,
        210,
        220,
        610,
        620,
    }
    assert_valid_estate()


def test_seed_estate_adds_to_an_estate_without_clashing():
    run("seed_demo")
    run("seed_estate", frames=2, lpars_per_frame=3, seed=1)
    run("seed_estate", frames=2, lpars_per_frame=3, seed=1)
    assert Frame.objects.filter(name__startswith="sim-").count() == 4
    assert Lpar.objects.filter(frame__name__startswith="sim-").exclude(kind="vios").count() == 12
    assert_valid_estate()
    assert "nothing changed" in run("seed_demo")


def test_seed_estate_past_the_last_lpar_id_reuses_ids_on_other_frames():
    """LPAR ids stop at 32767: a bigger estate wraps round to 100 and reuses ids across frames,
    as a real estate does; the estate check lists the reuse."""
    LparFactory(lpar_id=101, name="held")
    LparFactory(lpar_id=32765, name="high")
    out = run("seed_estate", frames=2, lpars_per_frame=3, seed=1)
    assert "client LPAR ids 100–32767 (reused across frames)" in out
    seeded = Lpar.objects.filter(frame__name__startswith="sim-").exclude(kind="vios")
    assert sorted(seeded.values_list("lpar_id", flat=True)) == [100, 101, 102, 103, 32766, 32767]
    assert_valid_estate(ids_reused=True)
    reused = {v.object for v in estate_check() if v.check == "lpar_id_reused"}
    assert reused == {
        "held (" + Lpar.objects.get(name="held").frame.name + ")",
        seeded.get(lpar_id=101).name + " (sim-00002)",
    }


def fingerprint() -> list[tuple]:
    """The estate by its natural keys and values: independent of primary keys."""
    return [
        *Frame.objects.values_list(
            "name",
            "machine_type",
            "model",
            "serial",
            "hmc__name",
            "processor_generation",
            "compat_modes",
            "proc_units",
            "memory_mb",
        ),
        *Lpar.objects.values_list(
            "frame__name",
            "name",
            "lpar_id",
            "kind",
            "state",
            "proc_mode",
            "proc_units",
            "virtual_procs",
            "memory_mb",
            "compat_mode",
            "shared_pool__name",
        ),
        *VirtualAdapter.objects.values_list(
            "lpar__name",
            "slot",
            "kind",
            "role",
            "remote_lpar__name",
            "remote_slot",
            "pvid",
            "device_name",
            "backing_devices",
            "physical_port__wwpn__value",
        ),
        *Wwpn.objects.values_list(
            "value",
            "kind",
            "fabric__name",
            "port__name",
            "virtual_adapter__slot",
            "position",
            "storage_port__name",
        ),
    ]


def seeded_fingerprint(seed: int) -> list[tuple]:
    with transaction.atomic():
        run("seed_estate", frames=3, lpars_per_frame=5, seed=seed)
        result = fingerprint()
        transaction.set_rollback(True)
    return result


def test_seed_estate_is_deterministic_for_a_seed():
    first = seeded_fingerprint(42)
    assert Frame.objects.count() == 0
    assert seeded_fingerprint(42) == first
    assert seeded_fingerprint(43) != first


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"frames": 0, "lpars_per_frame": 4}, "at least one frame"),
        ({"frames": 1, "lpars_per_frame": 129}, "0 to 128 client LPARs"),
    ],
)
def test_seed_estate_refuses_what_it_cannot_build(options, message):
    with pytest.raises(CommandError, match=message):
        run("seed_estate", **options)
    assert Frame.objects.count() == 0
