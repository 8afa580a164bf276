"""`hmc_capture` against the simulator over SSH: the capture replays through ReplayHmc, and a
discovery of the replay reads what a discovery of the simulator reads; `--mask` hides serial
numbers and WWPNs consistently."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory.models import Hmc, Lpar
from migrations_app import discovery
from migrations_app.hmc.client import HmcClient
from migrations_app.hmc.commands import Command
from migrations_app.hmc.errors import HmcCommandError
from migrations_app.hmc.ssh import SshTransport
from migrations_app.simulator.capture import Masker, RecordingTransport
from migrations_app.simulator.replay import ReplayHmc, capture_load
from migrations_app.simulator.server import DEFAULT_PASSWORD, SimulatorThread
from tests.simulators import pinned_line

pytestmark = pytest.mark.django_db


def read_through_ssh(server: SimulatorThread) -> list[discovery.FrameSnapshot]:
    transport = SshTransport(
        host=server.host,
        port=server.port,
        username="hscroot",
        password=DEFAULT_PASSWORD,
        host_key=pinned_line(server),
    )
    with HmcClient(transport) as client:
        return discovery.hmc_read(client, lambda percent, text: None).snapshots


@pytest.fixture
def replayed(sim_host_key):
    """Serve a capture folder over SSH, as `hmc_simulator --replay` does."""
    servers = []

    def serve(folder) -> SimulatorThread:
        server = SimulatorThread(ReplayHmc.from_folder(folder), host_key=sim_host_key).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


def test_a_capture_replays_to_the_same_discovery(simulator, sim_hmc, replayed, tmp_path):
    call_command("hmc_capture", "--hmc", "hmc-sim", "--out", str(tmp_path))

    recorded = capture_load(tmp_path)
    sent = [line for line in simulator.hmc.commands_seen]
    assert sorted(recorded) == sorted(set(sent))  # every command discovery sent, nothing else
    assert all(line.split()[0] in {"lssyscfg", "lshwres", "lslparmigr", "lshmc"} for line in sent)
    assert not Lpar.objects.exists()  # nothing written to the database

    assert read_through_ssh(replayed(tmp_path)) == read_through_ssh(simulator)


def test_a_masked_capture_hides_serials_and_wwpns_consistently(
    simulator, sim_hmc, replayed, tmp_path
):
    estate = simulator.hmc.estate
    serials = {f.serial for f in estate.frames}
    wwpns = estate.wwpns()
    call_command("hmc_capture", "--hmc", "hmc-sim", "--out", str(tmp_path), "--mask")

    text = "\n".join(p.read_text() for p in tmp_path.glob("*.txt"))
    assert serials and not any(re.search(rf"\b{s}\b", text) for s in serials)
    assert wwpns and not any(w in text.lower() for w in wwpns)

    original, masked = read_through_ssh(simulator), read_through_ssh(replayed(tmp_path))
    assert [f.info.name for f in masked] == [f.info.name for f in original]
    mapping: dict[str, str] = {}
    for before, after in zip(original, masked, strict=True):
        assert after.info.serial != before.info.serial
        assert len(after.info.serial) == len(before.info.serial)
        pairs = {(a.lpar_name, a.slot): a.wwpns for _, a in before.storage}
        for _, adapter in after.storage:
            for real, shown in zip(
                pairs[(adapter.lpar_name, adapter.slot)], adapter.wwpns, strict=True
            ):
                assert mapping.setdefault(real, shown) == shown  # one real, one masked value
                assert shown[:6] == real[:6] and shown != real
    assert len(set(mapping.values())) == len(mapping)  # and never two real ones as one


def test_a_capture_sends_no_command_that_changes_the_hmc():
    class Never:
        def run(self, command, *, timeout=None):
            raise AssertionError("sent")

        def close(self) -> None:
            pass

    recording = RecordingTransport(Never())
    with pytest.raises(HmcCommandError, match="only listing commands"):
        recording.run(Command(("migrlpar", "-o", "m", "-m", "a", "-t", "b", "-p", "x")))
    assert recording.recorded == {}


def test_masking_keeps_location_codes_and_pairs_readable():
    masker = Masker(
        [
            "name=p9,serial_num=7830001\n",
            "drc_name=U78D3.001.WZS0ABC-P1-C4,unit_phys_loc=U78D3.001.WZS0ABC\n",
            '"wwpns=c050760431670010,C050760431670011"\n',
        ]
    )
    masked = masker("lssyscfg -m 9009-42A*7830001 U78D3.001.WZS0ABC-P1-C4 c050760431670010")
    assert "7830001" not in masked and "WZS0ABC" not in masked
    assert re.fullmatch(
        r"lssyscfg -m 9009-42A\*X\d{6} U78D3\.001\.X\d{6}-P1-C4 c05076\w{10}", masked
    )
    assert masker("C050760431670011") == masker("c050760431670011").upper()


def test_capturing_an_unknown_hmc_or_into_a_used_folder_is_refused(tmp_path, db):
    with pytest.raises(CommandError, match="No HMC is named nosuch"):
        call_command("hmc_capture", "--hmc", "nosuch", "--out", str(tmp_path))
    Hmc.objects.create(name="h", host="127.0.0.1", username="hscroot", password="x")
    (tmp_path / "old.txt").write_text("# command: lshmc -V\n# exit: 0\n")
    with pytest.raises(CommandError, match="holds a capture already"):
        call_command("hmc_capture", "--hmc", "h", "--out", str(tmp_path))
