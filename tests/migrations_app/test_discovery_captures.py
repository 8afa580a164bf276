"""Discovery of real-format HMC output, replayed in-process from the capture folders under
`captures/` (see each folder's README.md): every partition, Not Activated ones sized from their
profile, every virtual adapter with its pairing, VLANs and WWPN pair is imported as the HMC
reports it; what breaks the numbering scheme shows in the estate checks; a frame that cannot be
read is skipped with its reason; a second sync finds no drift."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from inventory.models import Adapter, Frame, Hmc, Lpar, Slot, VirtualAdapter
from migrations_app import services
from migrations_app.hmc.client import HmcClient
from migrations_app.models import HmcSync
from migrations_app.simulator.replay import Recorded, ReplayHmc, capture_load, capture_write
from planning.checks import estate_check
from tests.factories import login, user_create
from tests.simulators import ReplayTransport

pytestmark = pytest.mark.django_db
CAPTURES = Path(__file__).parent / "captures"


@pytest.fixture
def replay_sync(monkeypatch):
    """Sync an HMC row whose answers come from a capture folder."""
    hmc = Hmc.objects.create(name="hmc-captured", host="hmc.example.com", username="hscroot")

    def sync(folder: str | Path) -> HmcSync:
        replay = ReplayHmc.from_folder(CAPTURES / folder)
        monkeypatch.setattr(
            services, "hmc_client_open", lambda **_: HmcClient(ReplayTransport(replay))
        )
        return services.hmc_sync_run(sync=HmcSync.objects.create(hmc=hmc))

    return sync


def adapters() -> set[tuple]:
    """Every virtual adapter: frame, LPAR, slot, kind, role, remote side, PVID, tagged VLANs,
    trunk priority and WWPN pair in the HMC's order."""
    return {
        (
            a.lpar.frame.name,
            a.lpar.name,
            a.slot,
            a.kind,
            a.role,
            a.remote_lpar.name if a.remote_lpar else None,
            a.remote_slot,
            a.pvid_id,
            tuple(sorted(v.vlan_id for v in a.vlans.all())),
            a.trunk_priority,
            tuple(w.value for w in sorted(a.wwpns.all(), key=lambda w: w.position)),
        )
        for a in VirtualAdapter.objects.select_related(
            "lpar__frame", "remote_lpar"
        ).prefetch_related("vlans", "wwpns")
    }


def out_of_scheme_links() -> dict[str, str]:
    """The estate checks' slot-range violations: the adapter's label → its link."""
    return {v.object: v.object_url for v in estate_check() if v.check == "slot_range"}


def second_sync_finds_no_drift(replay_sync, folder: str, state: str) -> None:
    again = replay_sync(folder)
    assert again.state == state, again.message
    assert list(again.drift.values_list("label", "field")) == []


def test_an_older_power7_power8_estate_is_taken_in_as_it_is(replay_sync):
    sync = replay_sync("power7-older")

    assert sync.state == "succeeded", sync.message
    assert [f["outcome"] for f in sync.frames] == ["read", "read"]
    assert Hmc.objects.get().version == "V7R7 M0"
    frames = {f.name: f for f in Frame.objects.all()}
    assert (frames["p740-old"].processor_generation, frames["p850-old"].processor_generation) == (
        "POWER7",
        "POWER8",
    )
    assert (frames["p740-old"].max_active_migrations, frames["p850-old"].max_active_migrations) == (
        4,
        8,
    )
    lpars = {
        (lpar.frame.name, lpar.name): (
            lpar.lpar_id,
            lpar.kind,
            lpar.state,
            lpar.proc_mode,
            lpar.proc_units,
            lpar.virtual_procs,
            lpar.memory_mb,
            lpar.profile_name,
        )
        for lpar in Lpar.objects.select_related("frame")
    }
    one, half, two = Decimal("1.00"), Decimal("0.50"), Decimal("2.00")
    assert lpars == {
        ("p740-old", "vios1"): (1, "vios", "running", "shared", one, 2, 4096, "default"),
        ("p740-old", "vios2"): (2, "vios", "running", "shared", one, 2, 4096, "default"),
        ("p740-old", "aix01"): (3, "aix", "running", "dedicated", two, 2, 8192, "default"),
        # Not Activated: zeros in lshwres, so sized from its default profile `normal`.
        ("p740-old", "lnx01"): (4, "linux", "not_activated", "shared", half, 2, 4096, "normal"),
        ("p850-old", "vios1"): (
            1,
            "vios",
            "running",
            "shared",
            Decimal("1.50"),
            2,
            8192,
            "default",
        ),
        ("p850-old", "db01"): (5, "aix", "running", "shared", two, 4, 16384, "default"),
    }
    pair_a = ("c050760431670010", "c050760431670011")
    pair_b = ("c050760431670012", "c050760431670013")
    assert adapters() == {
        ("p740-old", "vios1", 9, "ethernet", "trunk", None, None, 1, (3, 4, 5), 1, ()),
        ("p740-old", "vios2", 9, "ethernet", "trunk", None, None, 1, (3, 4, 5), 2, ()),
        ("p740-old", "aix01", 2, "ethernet", "client", None, None, 1, (3, 4, 5), None, ()),
        ("p740-old", "lnx01", 2, "ethernet", "client", None, None, 4, (), None, ()),
        ("p740-old", "vios1", 11, "vscsi", "server", "aix01", 3, None, (), None, ()),
        ("p740-old", "vios2", 13, "vscsi", "server", "lnx01", 3, None, (), None, ()),
        ("p740-old", "aix01", 3, "vscsi", "client", "vios1", 11, None, (), None, ()),
        ("p740-old", "lnx01", 3, "vscsi", "client", "vios2", 13, None, (), None, ()),
        ("p740-old", "vios1", 12, "vfc", "server", "aix01", 4, None, (), None, ()),
        ("p740-old", "vios2", 12, "vfc", "server", "aix01", 5, None, (), None, ()),
        ("p740-old", "aix01", 4, "vfc", "client", "vios1", 12, None, (), None, pair_a),
        ("p740-old", "aix01", 5, "vfc", "client", "vios2", 12, None, (), None, pair_b),
        ("p850-old", "vios1", 10, "ethernet", "trunk", None, None, 1, (), 1, ()),
        ("p850-old", "db01", 10, "ethernet", "client", None, None, 1, (), None, ()),
        ("p850-old", "vios1", 150, "vfc", "server", "db01", 150, None, (), None, ()),
        (
            "p850-old",
            "db01",
            150,
            "vfc",
            "client",
            "vios1",
            150,
            None,
            (),
            None,
            ("c0507608f1a20020", "c0507608f1a20021"),
        ),
    }
    # The empty slot (feature code 0, "Puste gniazdo") holds no card; the others theirs.
    cards = {a.slot.location: (a.kind, a.feature_code, a.owner.name) for a in Adapter.objects.all()}
    assert cards == {"P1-C4": ("fc", "5735", "vios1"), "P1-C6": ("ethernet", "5767", "vios2")}
    assert Slot.objects.count() == 3
    # Every adapter but the two Ethernet ones in slot 10 breaks the numbering scheme: each is
    # an estate-check violation with a link to the adapter.
    links = out_of_scheme_links()
    outside = VirtualAdapter.objects.exclude(slot=10).select_related("lpar")
    assert len(links) == outside.count() == 14
    assert set(links.values()) == {
        reverse("inventory:virtualadapter-detail", args=[a.pk]) for a in outside
    }
    second_sync_finds_no_drift(replay_sync, "power7-older", "succeeded")


def test_a_power9_power10_estate_in_the_current_format_is_taken_in_as_it_is(replay_sync):
    sync = replay_sync("power9-power10")

    assert sync.state == "succeeded", sync.message
    assert Hmc.objects.get().version == "V10R2 M1030"
    frames = {
        f.name: (f.processor_generation, f.max_active_migrations) for f in Frame.objects.all()
    }
    assert frames == {"p9-a": ("POWER9", 8), "p10-b": ("Power10", 8)}  # configured, not supported
    batch01 = Lpar.objects.get(name="batch01")
    assert (batch01.state, batch01.kind, batch01.proc_units, batch01.virtual_procs) == (
        "not_activated",
        "aix",
        Decimal("1.50"),
        3,
    )
    assert (batch01.memory_mb, batch01.profile_name) == (8192, "default")
    assert Lpar.objects.get(name="web01").kind == "linux"
    assert Lpar.objects.count() == 7

    def client(frame, name, lpar_id, pvid, vios_slot, second_slot, first_wwpn):
        pair = [f"c05076099a3b{first_wwpn + n:04x}" for n in range(4)]
        return {
            (frame, name, 10, "ethernet", "client", None, None, pvid, (), None, ()),
            (frame, name, 210, "vscsi", "client", "vios1", vios_slot - 400, None, (), None, ()),
            (frame, "vios1", vios_slot - 400, "vscsi", "server", name, 210, None, (), None, ()),
            (
                frame,
                name,
                610,
                "vfc",
                "client",
                "vios1",
                vios_slot,
                None,
                (),
                None,
                tuple(pair[:2]),
            ),
            (frame, "vios1", vios_slot, "vfc", "server", name, 610, None, (), None, ()),
            (
                frame,
                name,
                second_slot,
                "vfc",
                "client",
                "vios2",
                vios_slot if second_slot == 620 else 900,
                None,
                (),
                None,
                tuple(pair[2:]),
            ),
            (
                frame,
                "vios2",
                vios_slot if second_slot == 620 else 900,
                "vfc",
                "server",
                name,
                second_slot,
                None,
                (),
                None,
                (),
            ),
        }

    trunks = {
        (frame, f"vios{n}", 20, "ethernet", "trunk", None, None, 4094, (100, 200), n, ())
        for frame in ("p9-a", "p10-b")
        for n in (1, 2)
    }
    assert adapters() == (
        trunks
        | client("p9-a", "app01", 11, 100, 611, 620, 0x2C)
        | client("p10-b", "web01", 12, 200, 612, 620, 0x130)
        | client("p10-b", "batch01", 13, 100, 613, 900, 0x134)
    )
    cards = {
        (a.slot.drawer.frame.name, a.slot.location): (a.kind, a.feature_code, a.owner.name)
        for a in Adapter.objects.select_related("slot__drawer__frame", "owner")
    }
    assert cards == {
        ("p9-a", "P1-C2"): ("fc", "EN1A", "vios1"),
        ("p10-b", "P1-C2"): ("fc", "EN1A", "vios1"),
    }
    # Slot 900 (vFC, the scheme's range is 600-800) on both sides: in the estate checks.
    outside = VirtualAdapter.objects.filter(slot=900)
    assert set(out_of_scheme_links().values()) == {
        reverse("inventory:virtualadapter-detail", args=[a.pk]) for a in outside
    }
    assert outside.count() == 2
    second_sync_finds_no_drift(replay_sync, "power9-power10", "succeeded")


def test_a_frame_in_no_connection_is_skipped_with_its_reason_and_the_others_imported(
    replay_sync, client, api_client
):
    sync = replay_sync("no-connection")

    assert sync.state == "partial", sync.message
    assert sync.frames == [
        {"name": "p8-x", "outcome": "read", "reason": ""},
        {
            "name": "p8-y",
            "outcome": "skipped",
            "reason": "the frame is in state No Connection: its partitions are not read",
        },
    ]
    assert "p8-y: the frame is in state No Connection" in sync.message
    assert list(Frame.objects.values_list("name", flat=True)) == ["p8-x"]
    assert set(Lpar.objects.values_list("name", flat=True)) == {"vios1", "app02"}
    assert VirtualAdapter.objects.count() == 4
    planner = user_create("pia", role="Planner")
    login(client, planner)
    page = client.get(reverse("migrations_app:sync-detail", args=[sync.pk])).content.decode()
    assert "Partial: some frames skipped" in page
    assert "the frame is in state No Connection" in page
    login(api_client, planner)
    body = api_client.get(f"/api/hmc-syncs/{sync.pk}/").json()
    assert body["state"] == "partial" and body["frames"][1]["outcome"] == "skipped"
    second_sync_finds_no_drift(replay_sync, "no-connection", "partial")


def test_a_slot_of_1000_or_more_is_a_row_that_cannot_be_added_not_a_failed_sync(
    replay_sync, tmp_path
):
    eth = "lshwres -r virtualio --rsubtype eth --level lpar -m p8-x"
    for command, recorded in capture_load(CAPTURES / "no-connection").items():
        if command == eth:
            recorded = Recorded(0, recorded.stdout.replace("slot_num=10,", "slot_num=1010,"))
        capture_write(tmp_path / "renumbered", command, recorded)

    sync = replay_sync(tmp_path / "renumbered")

    assert sync.state == "partial", sync.message  # p8-y, as before; p8-x is read
    [refused] = sync.drift.filter(kind="conflict")
    assert refused.label == "app02 slot 1010 (ethernet)"
    assert "under 1000" in str(refused.hmc_value) or "2 to 999" in str(refused.hmc_value)
    assert set(VirtualAdapter.objects.values_list("lpar__name", "slot")) == {
        ("vios1", 20),
        ("vios1", 221),
        ("app02", 210),
    }
