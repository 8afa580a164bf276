"""Migrations between HMCs: the command names the destination's HMC (--ip/-u), the worker checks
the SSH trust between the two HMCs before validating and fails in words without it, "Set up
trust" runs mkauthkeys -g with a password that is never kept, logged or shown, and simulated
HMCs that know each other move a partition from one to the other."""

import asyncio
import html
import logging
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.urls import reverse

from inventory.models import Frame, Hmc, Lpar
from lpmplanner.models import SecurityEvent
from migrations_app.hmc import codes, commands
from migrations_app.hmc.client import HmcClient
from migrations_app.hmc.errors import HmcCommandError
from migrations_app.lpm.options import migration_command
from migrations_app.lpm.runner import migration_job_run
from migrations_app.lpm.services import migration_command_preview, migration_create
from migrations_app.management.commands.hmc_simulator import simulated_hmcs
from migrations_app.models import MigrationEvent, MigrationJob, MigrationState
from migrations_app.services import hmc_ssh_trust_setup
from migrations_app.simulator.estate import SimEstate, SimFrame, SimLpar, estate_from_db
from migrations_app.simulator.hmc import DEFAULT_PASSWORD, SimNetwork, SimulatedHmc
from migrations_app.simulator.server import Logins
from tests.aio import awaited
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create
from tests.simulators import REMOTE_HMC_HOST, cross_hmc_start

S = MigrationState
SECRET = "s3cret pass'word"  # a space and a quote: it must still travel as one word


@pytest.fixture(autouse=True)
def _quick_polls(settings):
    settings.LPM_MIGRATION_POLL_SECONDS = 0.1


# The command line ---------------------------------------------------------------------------


def test_migrlpar_names_the_destination_hmc_and_its_user():
    command = commands.migrlpar(
        operation="v",
        source="p750-a",
        destination="p750-b",
        lpar="server1",
        remote_hmc="hmc-b.example.com",
        remote_user="hscroot",
    )
    assert command.text == (
        "migrlpar -o v -m p750-a -t p750-b --ip hmc-b.example.com -u hscroot -p server1"
    )


@pytest.mark.parametrize(
    ("remote_hmc", "remote_user", "message"),
    [
        ("10.0.0.2;reboot", "hscroot", "HMC host"),
        ("$(id)", "hscroot", "HMC host"),
        ("10.0.0.2", "hsc root", "HMC user name"),
        (None, "hscroot", "give --ip too"),
    ],
)
def test_a_remote_hmc_or_user_that_could_inject_is_refused(remote_hmc, remote_user, message):
    with pytest.raises(HmcCommandError, match=message):
        commands.migrlpar(
            operation="m",
            source="p750-a",
            destination="p750-b",
            lpar="server1",
            remote_hmc=remote_hmc,
            remote_user=remote_user,
        )


def test_the_trust_command_masks_the_password_wherever_it_is_shown():
    command = commands.mkauthkeys_generate(
        remote_hmc="127.0.0.2", remote_user="hscroot", password=SECRET
    )
    assert command.argv[-2:] == ("--passwd", SECRET)  # sent as one word
    assert command.shown == "mkauthkeys --ip 127.0.0.2 -u hscroot -g --passwd ********"
    assert SECRET not in str(command)
    with pytest.raises(HmcCommandError, match="one line"):
        commands.mkauthkeys_generate(remote_hmc="h", remote_user="u", password="a\nb")


# The simulator: two HMCs that know each other -----------------------------------------------


def _two_simulated_hmcs() -> tuple[SimulatedHmc, SimulatedHmc]:
    lpar = SimLpar(name="app1", lpar_id=7, kind="aix")
    source = SimulatedHmc(
        SimEstate([SimFrame("frame-a", "9009", "42A", "AAAAAAA", lpars=[lpar])]),
        migration_seconds=0.3,
    )
    remote = SimulatedHmc(
        SimEstate([SimFrame("frame-b", "9009", "42A", "BBBBBBB")]),
        passwords={"hscroot": SECRET},
    )
    network = SimNetwork()
    network.join("10.1.1.1", source)
    network.join("10.1.1.2", remote)
    return source, remote


class _Answer:
    """A transport that answers every command with the same text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def run(self, command, *, timeout=None) -> str:
        return self.text

    def close(self) -> None:
        pass


def _run(hmc: SimulatedHmc, line: str) -> tuple[int, str, str]:
    return awaited(hmc.execute(line))


def test_the_simulator_wants_trust_set_up_with_the_right_password():
    source, _ = _two_simulated_hmcs()
    test = "mkauthkeys --ip 10.1.1.2 -u hscroot --test"
    status, _, error = _run(source, test)
    assert status == 1 and error.startswith(codes.REMOTE_HMC_NO_TRUST)

    wrong = commands.mkauthkeys_generate(
        remote_hmc="10.1.1.2", remote_user="hscroot", password="guess"
    )
    assert _run(source, wrong.text)[0] == 1
    assert _run(source, test)[0] == 1

    right = commands.mkauthkeys_generate(
        remote_hmc="10.1.1.2", remote_user="hscroot", password=SECRET
    )
    assert _run(source, right.text) == (0, "", "")
    assert _run(source, test) == (0, "", "")
    assert "mkauthkeys --ip 10.1.1.2 -u hscroot -g --passwd ********" in source.commands_seen
    assert not any(SECRET in line or "guess" in line for line in source.commands_seen)


def test_the_simulator_moves_a_partition_to_a_frame_of_the_other_hmc():
    source, remote = _two_simulated_hmcs()
    migrate = "migrlpar -o m -m frame-a -t frame-b --ip 10.1.1.2 -u hscroot -p app1"
    status, _, error = _run(source, migrate)
    assert status == 1 and error.startswith(codes.REMOTE_HMC_NO_TRUST)
    assert source.estate.frame("frame-a").lpar("app1") is not None
    source.trusted.add(("10.1.1.2", "hscroot"))

    async def migrate_and_watch() -> tuple[tuple[int, str, str], str]:
        moving = asyncio.ensure_future(source.execute(migrate))
        await asyncio.sleep(0.1)
        _, progress, _ = await source.execute("lslparmigr -r lpar -m frame-a")
        return await moving, progress

    result, progress = awaited(migrate_and_watch())
    assert result == (0, "", "")
    assert "remote_manager=10.1.1.2" in progress and "remote_user=hscroot" in progress
    assert "dest_sys_name=frame-b" in progress
    status = HmcClient(_Answer(progress)).migration_status(system="frame-a", lpar="app1")
    assert (status.remote_manager, status.remote_user) == ("10.1.1.2", "hscroot")
    assert source.estate.frame("frame-a").lpar("app1") is None
    _, listed, _ = _run(remote, "lssyscfg -r lpar -m frame-b")
    assert "name=app1,lpar_id=7" in listed


def test_the_simulator_command_serves_peer_hmcs_that_know_each_other(demo):
    remote = Hmc.objects.create(name="hmc-b", host="10.0.0.2", username="hscroot")
    Frame.objects.filter(name="p750-b").update(hmc=remote)
    build = partial(
        simulated_hmcs,
        estate_from_db(hmc_name="hmc-sim"),
        host="127.0.0.1",
        port=2222,
        hmc_name="hmc-sim",
        logins=Logins(),
        migration_seconds=1,
    )
    served = build(peers=["hmc-b@127.0.0.2:2223"])
    assert [(host, port) for _, host, port in served] == [("127.0.0.1", 2222), ("127.0.0.2", 2223)]
    (main, _, _), (peer, _, _) = served
    assert [f.name for f in main.estate.frames] == ["p750-a"]
    assert [f.name for f in peer.estate.frames] == ["p750-b"]
    trust = commands.mkauthkeys_generate(
        remote_hmc="127.0.0.2", remote_user="hscroot", password=DEFAULT_PASSWORD
    )
    assert _run(main, trust.text)[0] == 0
    validate = "migrlpar -o v -m p750-a -t p750-b --ip 127.0.0.2 -u hscroot -p server1"
    assert _run(main, validate)[0] == 0

    for peers, message in (
        (["hmc-b"], "write it HMC@HOST:PORT"),
        (["hmc-b@127.0.0.1:2223"], "127.0.0.1 is taken"),
        (["nobody@127.0.0.3:2223"], "HMC nobody manages no frame"),
    ):
        with pytest.raises(CommandError, match=message):
            build(peers=peers)
    with pytest.raises(CommandError, match="--peer needs --from-db and --hmc"):
        simulated_hmcs(
            SimEstate(),
            host="127.0.0.1",
            port=2222,
            peers=["hmc-b@127.0.0.2:1"],
            hmc_name=None,
            logins=Logins(),
            migration_seconds=1,
        )


# Jobs against two simulated HMCs over SSH ---------------------------------------------------


@pytest.fixture
def demo(db):
    demo_estate_restore()
    return Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")


@pytest.fixture
def two_hmcs(demo, sim_host_key):
    source, remote = cross_hmc_start(sim_host_key)
    yield source, remote
    source.stop()
    remote.stop()


def test_a_destination_on_another_hmc_needs_its_warning_confirmed(demo, two_hmcs):
    server1, p750b = demo
    with pytest.raises(ValidationError) as refused:
        migration_create(lpar=server1, destination=p750b)
    [warning, confirm] = refused.value.message_dict["confirm_warnings"]
    assert "managed by HMC hmc-b" in warning and "checked when the job runs" in warning
    assert confirm == "Confirm these warnings to go ahead."


def test_the_commands_of_a_migration_between_hmcs(demo, two_hmcs):
    server1, p750b = demo
    p750b.refresh_from_db()  # now on hmc-b
    preview = migration_command_preview(lpar=server1, destination=p750b)
    assert preview.startswith(
        f"migrlpar -o m -m p750-a -t p750-b --ip {REMOTE_HMC_HOST} -u hscroot -p server1 -i "
    )
    job = migration_create(lpar=server1, destination=p750b, confirm_warnings=True)
    assert job.hmc.name == "hmc-sim"
    assert f"--ip {REMOTE_HMC_HOST} -u hscroot" in migration_command(job, "v").text
    # Stop and recover run on the source HMC about its own partition: no --ip.
    assert migration_command(job, "s").text == "migrlpar -o s -m p750-a -p server1"
    assert migration_command(job, "r").text == "migrlpar -o r -m p750-a -p server1"


def test_the_wizard_summary_shows_the_command_with_the_remote_hmc(demo, two_hmcs, client):
    server1, p750b = demo
    login(client, user_create("olga", role="Operator"))
    new = reverse("migrations_app:migration-new")
    page = client.get(new, {"lpar": server1.pk, "destination_frame": p750b.pk})
    assert page.status_code == 200
    assert (
        f"migrlpar -o m -m p750-a -t p750-b --ip {REMOTE_HMC_HOST} -u hscroot -p server1 -i "
    ) in html.unescape(page.content.decode())


def test_without_ssh_trust_the_job_fails_in_words_and_nothing_moves(demo, two_hmcs):
    server1, p750b = demo
    source, remote = two_hmcs
    job = migration_create(lpar=server1, destination=p750b, confirm_warnings=True)

    assert migration_job_run(job=job, worker="w1") == S.FAILED

    job.refresh_from_db()
    assert job.message.startswith(
        "Validation: the source HMC hmc-sim has no SSH trust to HMC hmc-b (HSCL3653): run "
        f"mkauthkeys --ip {REMOTE_HMC_HOST} -u hscroot -g --passwd … on hmc-sim, or use Set up "
        "trust to HMC hmc-b on the page of HMC hmc-sim."
    )
    [event] = [e for e in job.events.all() if codes.REMOTE_HMC_NO_TRUST in e.codes]
    assert event.command == f"mkauthkeys --ip {REMOTE_HMC_HOST} -u hscroot --test"
    assert event.output.startswith(codes.REMOTE_HMC_NO_TRUST)  # the HMC's own words
    assert not source.hmc.commands_matching("migrlpar")
    assert not remote.hmc.commands_seen
    assert Lpar.objects.get(pk=server1.pk).frame.name == "p750-a"


def test_with_trust_set_up_the_lpar_moves_to_the_frame_of_the_other_hmc(demo, two_hmcs):
    server1, p750b = demo
    source, remote = two_hmcs
    hmc, other = Hmc.objects.get(name="hmc-sim"), Hmc.objects.get(name="hmc-b")
    done = hmc_ssh_trust_setup(hmc=hmc, remote=other, password=DEFAULT_PASSWORD)
    assert done.startswith("HMC hmc-sim now logs in to HMC hmc-b as hscroot")
    job = migration_create(lpar=server1, destination=p750b, confirm_warnings=True)

    assert migration_job_run(job=job, worker="w1") == S.COMPLETED

    [sent] = source.hmc.commands_matching("migrlpar", "-o", "m")
    assert f"-t p750-b --ip {REMOTE_HMC_HOST} -u hscroot -p server1" in sent
    assert remote.hmc.commands_matching("lssyscfg", "-r", "lpar", "-m", "p750-b")
    server1.refresh_from_db()
    assert server1.frame == p750b and server1.frame.hmc == other
    assert remote.hmc.estate.frame("p750-b").lpar("server1") is not None


def test_a_wrong_password_is_refused_in_words_and_never_shown(demo, two_hmcs):
    hmc, other = Hmc.objects.get(name="hmc-sim"), Hmc.objects.get(name="hmc-b")
    with pytest.raises(ValidationError) as refused:
        hmc_ssh_trust_setup(hmc=hmc, remote=other, password=SECRET)
    [message] = refused.value.message_dict["remote_hmc"]
    assert message.startswith("HMC hmc-sim could not set up SSH trust to HMC hmc-b as hscroot")
    assert SECRET not in message
    with pytest.raises(ValidationError, match="another HMC"):
        hmc_ssh_trust_setup(hmc=hmc, remote=hmc, password=SECRET)


# Set up trust: the page and the API ---------------------------------------------------------


def _no_secret_anywhere(secret: str, *texts: str) -> None:
    """The secret is in no answer, no log line, no security log entry, no job event and no
    command the HMCs recorded."""
    for text in texts:
        assert secret not in text
    for event in SecurityEvent.objects.all():
        assert secret not in str(event.data)
    for event in MigrationEvent.objects.all():
        assert secret not in f"{event.message} {event.command} {event.output}"


def test_an_operator_sets_up_trust_over_the_api(demo, two_hmcs, api_client, caplog):
    source, _ = two_hmcs
    hmc, other = Hmc.objects.get(name="hmc-sim"), Hmc.objects.get(name="hmc-b")
    login(api_client, user_create("olga", role="Operator"))
    url = f"/api/hmcs/{hmc.pk}/ssh-trust/"

    with caplog.at_level(logging.DEBUG):
        wrong = api_client.post(url, {"remote_hmc": other.pk, "password": SECRET}, format="json")
        right = api_client.post(
            url, {"remote_hmc": other.pk, "password": DEFAULT_PASSWORD}, format="json"
        )

    assert wrong.status_code == 400 and "remote_hmc" in wrong.json()
    itself = api_client.post(url, {"remote_hmc": hmc.pk, "password": "x"}, format="json")
    assert itself.json() == {"remote_hmc": ["Choose another HMC than hmc-sim itself."]}
    assert right.status_code == 200, right.json()
    assert right.json()["remote_user"] == "hscroot"
    assert "now logs in to HMC hmc-b" in right.json()["detail"]
    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.HMC_TRUST).order_by("pk")
    assert [(e.data["outcome"], e.data["remote_hmc"], e.username) for e in events] == [
        ("refused", "hmc-b", "olga"),
        ("set up", "hmc-b", "olga"),
        ("refused", "hmc-sim", "olga"),
    ]
    assert source.hmc.commands_matching("mkauthkeys", "--ip", REMOTE_HMC_HOST)
    recorded = "\n".join(source.hmc.commands_seen)
    assert "--passwd ********" in recorded
    for secret in (SECRET, DEFAULT_PASSWORD):
        _no_secret_anywhere(
            secret, wrong.content.decode(), right.content.decode(), caplog.text, recorded
        )


def test_the_page_asks_for_the_password_and_never_shows_it_back(demo, two_hmcs, client, caplog):
    hmc, other = Hmc.objects.get(name="hmc-sim"), Hmc.objects.get(name="hmc-b")
    login(client, user_create("olga", role="Operator"))
    url = reverse("migrations_app:hmc-ssh-trust", args=[hmc.pk])
    page = client.get(url)
    assert page.status_code == 200 and "hmc-b (hscroot@127.0.0.2)" in page.content.decode()

    with caplog.at_level(logging.DEBUG):
        refused = client.post(url, {"remote_hmc": other.pk, "password": SECRET})
        done = client.post(url, {"remote_hmc": other.pk, "password": DEFAULT_PASSWORD})

    assert refused.status_code == 200
    assert "could not set up SSH trust to HMC hmc-b" in refused.content.decode()
    assert done.status_code == 302 and done.url == hmc.get_absolute_url()
    shown = client.get(done.url).content.decode()
    assert "now logs in to HMC hmc-b" in shown
    _no_secret_anywhere(SECRET, refused.content.decode(), shown, caplog.text)
    _no_secret_anywhere(DEFAULT_PASSWORD, shown, caplog.text)


def test_only_operators_with_a_fresh_second_factor_set_up_trust(demo, two_hmcs, client, api_client):
    source, _ = two_hmcs
    hmc, other = Hmc.objects.get(name="hmc-sim"), Hmc.objects.get(name="hmc-b")
    body = {"remote_hmc": other.pk, "password": DEFAULT_PASSWORD}
    page = reverse("migrations_app:hmc-ssh-trust", args=[hmc.pk])
    api = f"/api/hmcs/{hmc.pk}/ssh-trust/"

    login(client, user_create("paul", role="Planner"))
    assert client.post(page, body).status_code == 403
    login(api_client, user_create("vera", role="Viewer"))
    assert api_client.post(api, body, format="json").status_code == 403

    login(client, user_create("olga", role="Operator"), fresh=False)
    stale = client.post(page, body)
    assert stale.status_code == 302 and stale.url.startswith(reverse("step-up"))
    login(api_client, user_create("otto", role="Operator"), fresh=False)
    refused = api_client.post(api, body, format="json")
    assert refused.status_code == 403 and "fresh code" in refused.json()["detail"]

    assert not source.hmc.commands_matching("mkauthkeys")
    kinds = set(SecurityEvent.objects.values_list("kind", flat=True))
    assert SecurityEvent.Kind.STEP_UP_REFUSED in kinds
    assert SecurityEvent.Kind.HMC_TRUST not in kinds
    assert not MigrationJob.objects.exists()
