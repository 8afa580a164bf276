"""Taking over a migration whose worker died, against an HMC that answers as real ones do: a
filter for a partition no longer on the source is HSCL8012 (exit 1), and the job settles from
where the HMCs show the partition; it never stays `migrating` with no migration on the HMC."""

import pytest
from django.utils import timezone

from inventory.models import Frame, Lpar, VirtualAdapter
from migrations_app.hmc.client import HmcClient
from migrations_app.hmc.commands import Command
from migrations_app.hmc.errors import HmcError
from migrations_app.lpm import runner
from migrations_app.lpm.runner import migration_take_over
from migrations_app.lpm.services import migration_create
from migrations_app.models import MigrationJob, MigrationState
from tests.demo_estate import demo_estate_restore

pytestmark = pytest.mark.django_db
S = MigrationState
NOT_FOUND = "HSCL8012 The partition named server1 was not found on managed system p750-a.\n"
VIOSES = "name=vios1,lpar_id=1,lpar_env=vioserver,state=Running\n" + (
    "name=vios2,lpar_id=2,lpar_env=vioserver,state=Running\n"
)
SERVER1 = "name=server1,lpar_id=10,lpar_env=aixlinux,state=Running\n"


class ScriptedHmc:
    """A transport answering by command-line prefix: text, or (exit status, message) for a
    refusal. Any command it was not given is refused, as a strict HMC would."""

    def __init__(self, answers: dict[str, str | tuple[int, str]]) -> None:
        self.answers = answers
        self.commands: list[str] = []

    def run(self, command: Command, *, timeout: float | None = None) -> str:
        self.commands.append(command.text)
        for prefix, answer in self.answers.items():
            if command.text.startswith(prefix):
                if isinstance(answer, tuple):
                    raise HmcError(command=command.shown, exit_status=answer[0], text=answer[1])
                return answer
        raise HmcError(command=command.shown, exit_status=1, text="HSCLFF30 not scripted")

    def close(self) -> None:
        pass


@pytest.fixture
def migrating(db) -> MigrationJob:
    """server1's migration to p750-b, sent to the HMC by a worker that then died."""
    demo_estate_restore()
    job = migration_create(
        lpar=Lpar.objects.get(name="server1"), destination=Frame.objects.get(name="p750-b")
    )
    MigrationJob.objects.filter(pk=job.pk).update(
        state=S.MIGRATING, migrate_sent=timezone.now(), heartbeat=timezone.now(), worker="gone"
    )
    return MigrationJob.objects.get(pk=job.pk)


def hmc_answers(monkeypatch, answers: dict) -> ScriptedHmc:
    hmc = ScriptedHmc(answers)
    monkeypatch.setattr(runner, "hmc_client_open", lambda **_: HmcClient(hmc))
    return hmc


def test_hscl8012_on_the_source_and_the_partition_on_the_destination_completes_it(
    migrating, monkeypatch
):
    hmc = hmc_answers(
        monkeypatch,
        {
            "lslparmigr -r lpar -m p750-a": (1, NOT_FOUND),
            "lssyscfg -r lpar -m p750-b": VIOSES + SERVER1,
        },
    )

    migration_take_over(job=migrating)

    migrating.refresh_from_db()
    assert migrating.state == S.COMPLETED, migrating.message
    assert Lpar.objects.get(name="server1").frame.name == "p750-b"
    assert not [c for c in hmc.commands if c.startswith("migrlpar")]


def test_an_empty_answer_and_the_partition_on_neither_frame_needs_attention(migrating, monkeypatch):
    hmc_answers(
        monkeypatch,
        {
            "lslparmigr -r lpar -m p750-a": "No results were found.\n",
            "lssyscfg -r lpar -m p750-b": VIOSES,
            "lssyscfg -r lpar -m p750-a": VIOSES,
        },
    )

    migration_take_over(job=migrating)

    migrating.refresh_from_db()
    assert migrating.state == S.NEEDS_ATTENTION
    assert "neither p750-a nor p750-b has it" in migrating.message
    assert migrating.finished is not None
    assert not migrating.is_active  # a new migration of server1 is not blocked by it
    assert Lpar.objects.get(name="server1").frame.name == "p750-a"


def test_an_hmc_that_refuses_to_say_where_the_partition_is_needs_attention(migrating, monkeypatch):
    hmc_answers(
        monkeypatch,
        {
            "lslparmigr -r lpar -m p750-a": (1, NOT_FOUND),
            "lssyscfg -r lpar -m p750-b": (1, "HSCL350B The user does not have the authority.\n"),
        },
    )

    migration_take_over(job=migrating)

    migrating.refresh_from_db()
    assert migrating.state == S.NEEDS_ATTENTION
    assert "HSCL350B" in migrating.message


def test_a_migration_the_inventory_cannot_follow_completes_as_needing_a_sync(
    migrating, monkeypatch
):
    vfc = next(m for m in migrating.storage_mappings if m["kind"] == "vfc")
    other = Lpar.objects.filter(frame__name="p750-b").exclude(kind="vios").first()
    VirtualAdapter.objects.create(
        lpar_id=vfc["vios"], slot=vfc["vios_slot"], kind="vfc", role="server", remote_lpar=other
    )
    hmc_answers(
        monkeypatch,
        {
            "lslparmigr -r lpar -m p750-a": (1, NOT_FOUND),
            "lssyscfg -r lpar -m p750-b": VIOSES + SERVER1,
        },
    )

    migration_take_over(job=migrating)

    migrating.refresh_from_db()
    assert migrating.state == S.COMPLETED_NEEDS_SYNC
    assert f"holds an adapter of {other.name}" in migrating.message
    assert "Run Sync now" in migrating.message
    assert Lpar.objects.get(name="server1").frame.name == "p750-a"  # nothing half-moved
