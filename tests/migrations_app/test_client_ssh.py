"""The HMC client against the simulator over real SSH: logins, host keys, reads, migrations,
partition creation and injected faults."""

import shutil
import subprocess
import threading

import asyncssh
import pytest

from migrations_app.hmc import codes
from migrations_app.hmc.client import HmcClient
from migrations_app.hmc.errors import (
    HmcConnectionLost,
    HmcError,
    HmcHostKeyChanged,
    HmcHostKeyUnknown,
    HmcLoginRefused,
    HmcUnreachable,
)
from migrations_app.hmc.ssh import SshTransport, known_hosts_line
from tests.simulators import pinned_line

pytestmark = pytest.mark.django_db


def transport_to(simulator, **overrides) -> SshTransport:
    options = dict(
        host=simulator.host,
        port=simulator.port,
        username="hscroot",
        password="abc123",
        host_key=pinned_line(simulator),
        connect_timeout=5,
    )
    return SshTransport(**{**options, **overrides})


def test_reads_the_estate_through_one_reused_connection(hmc_client, simulator):
    frames = {f.name: f for f in hmc_client.frames()}
    assert set(frames) == {"p750-a", "p750-b"}
    assert frames["p750-a"].compat_modes == ("default", "POWER6", "POWER6+", "POWER7")
    assert (frames["p750-a"].machine_type, frames["p750-a"].model) == ("8233", "E8B")
    lpars = {p.name: p for p in hmc_client.lpars(system="p750-a")}
    assert lpars["server1"].lpar_id == 10 and lpars["vios1"].env == "vioserver"
    [profile] = hmc_client.profiles(system="p750-a", lpar="server1")
    assert [a.slot for a in profile.virtual_fc_adapters] == [610, 620]
    assert profile.virtual_fc_adapters[0].wwpns == ("c050760431670010", "c050760431670011")
    fc = [a for a in hmc_client.virtual_fc_adapters(system="p750-a") if a.lpar_name == "server1"]
    assert {a.remote_lpar_name for a in fc} == {"vios1", "vios2"}
    assert hmc_client.mem_availability(system="p750-a").region_mb == 256
    assert hmc_client.proc_availability(system="p750-a").installed_units == 32
    slots = hmc_client.io_slots(system="p750-a")
    assert any(s.lpar_id is None and s.lpar_name is None for s in slots)
    assert hmc_client.vios_command(system="p750-a", vios="vios1", words=["ioslevel"]).strip()
    assert hmc_client.transport._connection is not None


def test_reads_max_virtual_slots_and_wwpn_pairs_as_the_estate_holds_them(hmc_client, simulator):
    frame = simulator.hmc.estate.frame("p750-a")
    frame.lpar("vios1").max_virtual_slots = 2000
    profiles = {p.lpar_name: p for p in hmc_client.profile_slots(system="p750-a")}
    assert set(profiles) == {p.name for p in frame.lpars}
    assert (profiles["vios1"].name, profiles["vios1"].max_virtual_slots) == ("default", "2000")
    assert profiles["server1"].max_virtual_slots == "1000"
    lpars = {p.name: p for p in hmc_client.lpars(system="p750-a")}
    assert lpars["vios1"].default_profile == "default"
    pairs = {
        a.slot: a.wwpns
        for a in hmc_client.virtual_fc_adapters(system="p750-a")
        if a.lpar_name == "server1"
    }
    expected = {a.slot: tuple(a.wwpns) for a in frame.lpar("server1").adapters("fc")}
    assert pairs == expected
    assert pairs[610] == ("c050760431670010", "c050760431670011")


def test_an_unknown_system_is_an_hscl_error_with_the_command(hmc_client):
    with pytest.raises(HmcError) as raised:
        hmc_client.lpars(system="nosuchframe")
    assert raised.value.codes == (codes.SYSTEM_NOT_FOUND,)
    assert "nosuchframe" in raised.value.command


def test_a_wrong_password_is_refused(simulator):
    with pytest.raises(HmcLoginRefused):
        HmcClient(transport_to(simulator, password="wrong")).frames()


def test_a_changed_host_key_is_refused(simulator):
    other = asyncssh.generate_private_key("ssh-ed25519")
    line = known_hosts_line(simulator.host, simulator.port, other)
    with pytest.raises(HmcHostKeyChanged):
        HmcClient(transport_to(simulator, host_key=line)).frames()


def test_no_pinned_key_means_no_connection():
    with pytest.raises(HmcHostKeyUnknown):
        transport_to_nothing(host_key="")


def transport_to_nothing(**overrides) -> SshTransport:
    options = dict(
        host="127.0.0.1",
        port=1,
        username="hscroot",
        password="x",
        host_key="[127.0.0.1]:1 " + "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFb0"
        "FxTngBxW1Qp0UmjW6fdFzTVcbbyGuE8YVZTCHGcV",
        connect_timeout=2,
    )
    return SshTransport(**{**options, **overrides})


def test_an_unreachable_hmc():
    transport = transport_to_nothing()
    with pytest.raises(HmcUnreachable):
        HmcClient(transport).frames()
    transport.close()


def test_key_login(demo_sim_estate, sim_host_key):
    from migrations_app.simulator.hmc import SimulatedHmc
    from migrations_app.simulator.server import Logins, SimulatorThread

    user_key = asyncssh.generate_private_key("ssh-ed25519")
    logins = Logins(authorized_keys=(user_key.convert_to_public(),))
    running = SimulatorThread(SimulatedHmc(demo_sim_estate), host_key=sim_host_key, logins=logins)
    running.start()
    try:
        transport = transport_to(running, password=None, client_keys=[user_key])
        with HmcClient(transport) as keyed:
            assert len(keyed.frames()) == 2
    finally:
        running.stop()


def test_refused_login_and_dropped_connection_faults(hmc_client, simulator):
    simulator.hmc.faults.drop_connection = True
    with pytest.raises(HmcConnectionLost):
        hmc_client.frames()
    assert len(hmc_client.frames()) == 2  # the next command reconnects
    simulator.hmc.faults.refuse_login = True
    with pytest.raises(HmcLoginRefused):
        HmcClient(transport_to(simulator)).frames()


def test_validate_reports_the_rules_by_code(hmc_client, simulator):
    assert (
        hmc_client.migration_validate(source="p750-a", destination="p750-b", lpar="server1") == ""
    )
    with pytest.raises(HmcError) as raised:
        hmc_client.migration_validate(source="p750-a", destination="p750-b", lpar="vios1")
    assert codes.NAME_CONFLICT in raised.value.codes  # vios1 exists on p750-b too
    simulator.hmc.estate.unzoned_wwpns.append("c050760431670011")
    with pytest.raises(HmcError) as raised:
        hmc_client.migration_validate(source="p750-a", destination="p750-b", lpar="server1")
    assert raised.value.has_code("HSCLA319")


def test_a_migration_shows_progress_and_ends_on_the_destination(hmc_client, simulator):
    simulator.hmc.migration_seconds = 5
    outcome = {}

    def migrate():
        with HmcClient(transport_to(simulator)) as other:
            outcome["out"] = other.migration_migrate(
                source="p750-a", destination="p750-b", lpar="server1"
            )

    thread = threading.Thread(target=migrate)
    thread.start()
    seen, states_seen = [], []
    while thread.is_alive():
        try:
            status = hmc_client.migration_status(system="p750-a", lpar="server1")
        except HmcError as error:  # moved: the source has no such partition any more
            assert error.codes == (codes.LPAR_NOT_FOUND,)
            states_seen.append("gone")
            continue
        states_seen.append(status.state)
        if status.state == "Migration In Progress":
            seen.append(status.progress)
            states = {p.name: p.state for p in hmc_client.lpars(system="p750-a")}
            assert states.get("server1") in (None, "Migrating - Running")
    thread.join()
    assert outcome == {"out": ""}
    assert seen and seen == sorted(seen)
    shown = [s for s in dict.fromkeys(states_seen) if s != "Not Migrating"]
    assert shown[:2] == ["Migration Starting", "Migration In Progress"]
    assert "server1" in {p.name for p in hmc_client.lpars(system="p750-b")}
    assert "server1" not in {p.name for p in hmc_client.lpars(system="p750-a")}


def test_a_migration_failing_part_way_is_recovered(hmc_client, simulator):
    simulator.hmc.faults.fail_at_percent = 40
    with pytest.raises(HmcError) as raised:
        hmc_client.migration_migrate(source="p750-a", destination="p750-b", lpar="server2")
    assert raised.value.has_code(codes.MIGRATION_FAILED)
    status = hmc_client.migration_status(system="p750-a", lpar="server2")
    assert status.state == "Migration Failed" and status.progress >= 40
    hmc_client.migration_recover(source="p750-a", lpar="server2")
    assert hmc_client.migration_status(system="p750-a", lpar="server2").state == "Not Migrating"
    assert "server2" in {p.name for p in hmc_client.lpars(system="p750-a")}


NEW_PARTITION = {
    "name": "server1-stub",
    "lpar_id": 110,
    "profile_name": "default",
    "lpar_env": "aixlinux",
    "min_mem": 1024,
    "desired_mem": 2048,
    "max_mem": 4096,
    "proc_mode": "shared",
    "min_proc_units": "0.1",
    "desired_proc_units": "1.0",
    "max_proc_units": "2.0",
    "min_procs": 1,
    "desired_procs": 1,
    "max_procs": 2,
    "sharing_mode": "uncap",
    "virtual_fc_adapters": ["710/client/1/vios1/710//1", "720/client/2/vios2/720//1"],
}


def test_a_new_partition_gets_a_c05076_wwpn_pair(hmc_client):
    hmc_client.partition_create(system="p750-b", attributes=NEW_PARTITION)
    [lpar] = [p for p in hmc_client.lpars(system="p750-b") if p.name == "server1-stub"]
    assert (lpar.lpar_id, lpar.state) == (110, "Not Activated")
    fc = [a for a in hmc_client.virtual_fc_adapters(system="p750-b") if a.lpar_id == 110]
    pairs = [a.wwpns for a in fc]
    assert len(pairs) == 2 and all(len(p) == 2 and p[0].startswith("c05076") for p in pairs)
    assert len({w for p in pairs for w in p}) == 4
    with pytest.raises(HmcError) as raised:
        hmc_client.partition_create(system="p750-b", attributes={**NEW_PARTITION, "name": "x"})
    assert raised.value.has_code(codes.ID_CONFLICT)


@pytest.mark.skipif(shutil.which("ssh") is None, reason="needs OpenSSH's ssh client")
def test_openssh_gets_hmc_output(simulator, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(pinned_line(simulator) + "\n")
    askpass = tmp_path / "askpass"
    askpass.write_text("#!/bin/sh\necho abc123\n")
    askpass.chmod(0o700)
    result = subprocess.run(
        [
            "ssh",
            "-p",
            str(simulator.port),
            "-o",
            f"UserKnownHostsFile={known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=no",
            "-F",
            "/dev/null",
            "hscroot@127.0.0.1",
            "lssyscfg -r sys -F name,lpar_proc_compat_modes",
        ],
        env={
            "SSH_ASKPASS": str(askpass),
            "SSH_ASKPASS_REQUIRE": "force",
            "DISPLAY": ":0",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        'p750-a,"default,POWER6,POWER6+,POWER7"',
        'p750-b,"default,POWER6,POWER6+,POWER7"',
    ]
