"""Capture folders of an HMC's answers: writing, reading, refusing what is malformed or too big,
and replaying them, in memory and over real SSH (`hmc_simulator --replay`)."""

import os
import socket
import subprocess
import sys
import time

import asyncssh
import pytest
from django.conf import settings

from migrations_app.hmc import codes
from migrations_app.hmc.client import HmcClient
from migrations_app.hmc.commands import lssyscfg_sys
from migrations_app.hmc.errors import HmcError
from migrations_app.hmc.ssh import SshTransport, known_hosts_line
from migrations_app.simulator import replay
from migrations_app.simulator.replay import (
    Recorded,
    ReplayHmc,
    capture_load,
    capture_write,
)
from tests.aio import awaited

SYS_LINE = "lssyscfg -r sys -F name,state"
SYS_ANSWER = Recorded(0, "p750-a,Operating\np750-b,No Connection\n")


def test_a_written_capture_reads_back_the_same_answers(tmp_path):
    refused = Recorded(1, "", "HSCL8012 The partition named nosuch was not found.\n")
    tricky = Recorded(0, "first\n# stderr:\n\\# stderr:\nlast", "warning\n# stderr:\n")
    capture_write(tmp_path, SYS_LINE, SYS_ANSWER)
    capture_write(tmp_path, "lssyscfg -r lpar -m p750-a --filter lpar_names=nosuch", refused)
    written = capture_write(tmp_path, "lshwres -r proc -m p750-a --level sys", tricky)
    (tmp_path / "README.md").write_text("An estate of two frames.\n")

    assert written.name.startswith("lshwres-r-proc-m-") and written.suffix == ".txt"
    assert written.read_text().startswith(
        "# command: lshwres -r proc -m p750-a --level sys\n# exit: 0\nfirst\n\\# stderr:\n"
    )
    loaded = capture_load(tmp_path)
    assert loaded == {
        SYS_LINE: SYS_ANSWER,
        "lssyscfg -r lpar -m p750-a --filter lpar_names=nosuch": refused,
        # stdout without a final newline gets one when stderr follows
        "lshwres -r proc -m p750-a --level sys": Recorded(
            0, "first\n# stderr:\n\\# stderr:\nlast\n", "warning\n# stderr:\n"
        ),
    }


def test_writing_the_same_command_again_replaces_its_file(tmp_path):
    first = capture_write(tmp_path, SYS_LINE, Recorded(0, "old\n"))
    second = capture_write(tmp_path, "lssyscfg  -r sys   -F name,state", SYS_ANSWER)
    assert first == second
    assert capture_load(tmp_path) == {SYS_LINE: SYS_ANSWER}


def test_a_hand_written_file_is_keyed_with_whitespace_collapsed(tmp_path):
    (tmp_path / "any-name.txt").write_text("# command:   lshmc   -V \n# exit: 0\nV10R3\n")
    assert capture_load(tmp_path) == {"lshmc -V": Recorded(0, "V10R3\n", "")}


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("lssyscfg -r sys\n# exit: 0\n", 1, "first line"),
        ("# command: \n# exit: 0\n", 1, "empty"),
        ("# command: lshmc -V\nV10R3\n", 2, "second line"),
        ("# command: lshmc -V\n# exit: one\n", 2, "not a number"),
        ("# command: lshmc -V\n# exit: 300\n", 2, "not a number"),
        ("# command: lshmc -V\n# exit: 1\n# stderr:\na\n# stderr:\nb\n", 5, "second"),
    ],
)
def test_a_malformed_file_is_refused_naming_file_and_line(tmp_path, text, line, says):
    (tmp_path / "bad.txt").write_text(text)
    with pytest.raises(ValueError, match=rf"bad\.txt, line {line}: .*{says}"):
        capture_load(tmp_path)


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    (tmp_path / "latin.txt").write_bytes(b"# command: lshmc -V\n# exit: 0\nPuste gniazdo \xb1\n")
    with pytest.raises(ValueError, match=r"latin\.txt: not UTF-8"):
        capture_load(tmp_path)


def test_the_same_command_in_two_files_is_refused(tmp_path):
    (tmp_path / "a.txt").write_text("# command: lshmc -V\n# exit: 0\n")
    (tmp_path / "b.txt").write_text("# command: lshmc  -V\n# exit: 0\n")
    with pytest.raises(ValueError, match=r"b\.txt, line 1: 'lshmc -V' is recorded in a\.txt"):
        capture_load(tmp_path)


def test_an_oversized_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(replay, "MAX_FILE_BYTES", 100)
    capture_write(tmp_path, "lshmc -V", Recorded(0, "x" * 101))
    with pytest.raises(ValueError, match=r"bytes, more than the 100"):
        capture_load(tmp_path)


def test_a_folder_with_too_many_files_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(replay, "MAX_FILES", 2)
    for number in range(3):
        capture_write(tmp_path, f"lshmc -V {number}", Recorded(0, ""))
    with pytest.raises(ValueError, match=r"3 files, more than the 2"):
        capture_load(tmp_path)


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a capture folder"):
        capture_load(tmp_path / "nothing")


def test_a_command_line_with_a_line_break_is_not_written(tmp_path):
    with pytest.raises(ValueError, match="no line break"):
        capture_write(tmp_path, "lshmc -V\nrm -rf /", Recorded(0, ""))


def test_replay_answers_what_was_recorded_and_refuses_the_rest():
    hmc = ReplayHmc({SYS_LINE: SYS_ANSWER, "lshmc -V": Recorded(1, "", "HSCL350B no\n")})
    answer = awaited(hmc.execute("lssyscfg  -r sys -F name,state"))
    assert answer == (0, SYS_ANSWER.stdout, "")
    assert awaited(hmc.execute("lshmc -V")) == (1, "", "HSCL350B no\n")
    status, stdout, stderr = awaited(hmc.execute("lssyscfg -r lpar -m p750-a"))
    assert (status, stdout) == (1, "")
    assert stderr.startswith(codes.SIM_NOT_RECORDED)
    assert "lssyscfg -r lpar -m p750-a" in stderr
    assert codes.is_simulated(codes.SIM_NOT_RECORDED)
    assert hmc.commands_seen == [
        "lssyscfg  -r sys -F name,state",
        "lshmc -V",
        "lssyscfg -r lpar -m p750-a",
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def replay_server(tmp_path):
    """`manage.py hmc_simulator --replay` in a process of its own, on a free port."""
    capture = tmp_path / "capture"
    capture_write(capture, lssyscfg_sys().text, Recorded(0, "name=p750-a,state=Operating\n"))
    port = free_port()
    env = {**os.environ, "LPM_VAR_DIR": str(tmp_path / "var")}
    (tmp_path / "var").mkdir()
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "hmc_simulator",
            "--replay",
            str(capture),
            "--port",
            str(port),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the replay server did not start:\n{process.stdout.read()}")
                time.sleep(0.2)
        key = asyncssh.read_private_key(str(tmp_path / "var" / "hmc_simulator_host_key"))
        yield port, known_hosts_line("127.0.0.1", port, key)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_hmc_simulator_replays_a_capture_over_ssh(replay_server):
    port, host_key = replay_server
    transport = SshTransport(
        host="127.0.0.1", port=port, username="hscroot", password="abc123", host_key=host_key
    )
    with HmcClient(transport) as client:
        [frame] = client.frames()
        assert (frame.name, frame.state) == ("p750-a", "Operating")
        with pytest.raises(HmcError) as raised:
            client.lpars(system="p750-a")
    assert raised.value.codes == (codes.SIM_NOT_RECORDED,)
    assert "lssyscfg -r lpar -m p750-a" in raised.value.text
