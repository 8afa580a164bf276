"""What a worker does for a readiness run: validate each LPAR of the scope against its target
with `migrlpar -o v` (and `-d`), at most READINESS_HMC_MAX_VALIDATIONS at a time per HMC, none
on an HMC while a migration of it is active (migrations first: readiness waits, never the
other way round), and record each answer beside the pre-flight verdict."""

import logging
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from queue import Queue

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from inventory.models import Hmc
from migrations_app.hmc import codes as hscl
from migrations_app.hmc import commands
from migrations_app.hmc.client import HmcClient
from migrations_app.hmc.errors import HSCL_CODE, HmcCommandError, HmcConnectionError, HmcError
from migrations_app.lpm.admission import preflight_options
from migrations_app.models import ACTIVE_STATES, MigrationJob, MigrationState
from migrations_app.readiness.models import (
    Disagreement,
    ReadinessEvent,
    ReadinessResult,
    ReadinessRun,
    Verdict,
)
from migrations_app.readiness.services import readiness_changes_notify
from migrations_app.readiness.targets import Target, scope_lpars, targets_resolve
from migrations_app.services import hmc_client_open
from planning.preflight import EstateIndex, Preflight
from planning.preflight import Verdict as PreflightVerdict

logger = logging.getLogger(__name__)
State = ReadinessRun.State
Level = ReadinessEvent.Level

# Refusals that say "not now" (the HMC runs as many migrations as it allows), not "not this
# LPAR": the LPAR is recorded as not checked, with that reason.
BUSY_CODES = frozenset({hscl.TOO_MANY_MIGRATIONS, hscl.MIGRATION_BUSY})


def run_event(run: ReadinessRun, message: str, *, level: str = Level.INFO) -> None:
    ReadinessEvent.objects.create(job=run, message=message, level=level)


# A migration in one of these keeps its HMCs busy: it is being validated, waits for a slot, moves
# or is being stopped or recovered. One scheduled for later (a change window) does not yet.
BUSY_STATES = tuple(s for s in ACTIVE_STATES if s != MigrationState.SCHEDULED)


def busy_hmcs() -> set[int]:
    """The HMCs busy migrating: each runs a migration under way, or manages the frame one lands
    on."""
    rows = MigrationJob.objects.filter(state__in=BUSY_STATES).values_list(
        "hmc", "destination_frame__hmc"
    )
    return {pk for row in rows for pk in row if pk is not None}


@dataclass
class _Item:
    target: Target
    preflight_verdict: str
    preflight_findings: list[dict]


class _Run:
    """The state shared by the threads of one run: the queues per HMC; what the monitor last
    read (the HMCs busy migrating, whether the run is stopping); the results waiting for the
    writer; the previous results (for failing_since)."""

    def __init__(self, run: ReadinessRun, items: list[_Item], done: int) -> None:
        self.run = run
        self.total = len(items) + done
        self.done = done
        self.lock = threading.Lock()
        self.queues: dict[int, deque[_Item]] = defaultdict(deque)
        self.unreachable: dict[int, str] = {}
        for item in items:
            self.queues[item.target.frame.hmc_id].append(item)
        self.previous = previous_results([i.target.lpar_pk for i in items], before=run.pk)
        self.busy: set[int] = set()
        self.waiting: dict[int, str] = {}  # HMC pk → its name, while a slot waits for it
        self.stopping = False
        self.failures: list[str] = []  # validator slots that stopped on an unexpected error
        self.ended = threading.Event()
        self.written: Queue[ReadinessResult | None] = Queue()

    def next(self, hmc_pk: int) -> _Item | None:
        with self.lock:
            queue = self.queues[hmc_pk]
            return queue.popleft() if queue else None

    def look(self) -> None:
        """Read whether the run is stopping and which HMCs are busy migrating (two queries,
        for every slot of every HMC), and beat."""
        state = ReadinessRun.objects.filter(pk=self.run.pk).values_list("state", flat=True)
        self.stopping = state.first() != State.RUNNING
        self.busy = busy_hmcs()
        fields = {"heartbeat": timezone.now()}
        waiting = self.waiting.copy()  # slots add and remove HMCs meanwhile
        if waiting:
            names = ", ".join(sorted(set(waiting.values())))
            fields["step"] = f"Waiting: HMC {names} is migrating (migrations first)"
        ReadinessRun.objects.filter(pk=self.run.pk).update(**fields)


def previous_results(lpar_pks: list[int], *, before: int) -> dict[int, ReadinessResult]:
    """Per LPAR, its result in the latest earlier run that checked it."""
    latest = (
        ReadinessResult.objects.filter(lpar__in=lpar_pks, run__lt=before)
        .values("lpar")
        .annotate(last=Max("pk"))
        .values_list("last", flat=True)
    )
    return {r.lpar_id: r for r in ReadinessResult.objects.filter(pk__in=list(latest))}


def _claim(run: ReadinessRun, worker: str) -> ReadinessRun | None:
    with transaction.atomic():
        locked = ReadinessRun.objects.select_for_update().get(pk=run.pk)
        if locked.state not in (State.QUEUED, State.RUNNING):
            return None
        stale = settings.READINESS_STALE_SECONDS
        if (
            locked.state == State.RUNNING
            and locked.worker != worker
            and locked.heartbeat
            and (timezone.now() - locked.heartbeat).total_seconds() < stale
        ):
            return None  # another live worker runs it
        locked.state, locked.worker, locked.heartbeat = State.RUNNING, worker, timezone.now()
        locked.started = locked.started or timezone.now()
        locked.save(update_fields=["state", "worker", "heartbeat", "started"])
    return locked


def _items(run: ReadinessRun) -> tuple[list[_Item], list[_Item], int]:
    """The LPARs left to check (those with an HMC on both sides) and those that cannot be
    checked, each with its pre-flight verdict; and how many have a result already (a run
    taken over from a dead worker)."""
    targets = targets_resolve(scope_lpars(run))
    done = set(run.results.values_list("lpar", flat=True))
    targets = [t for t in targets if t.lpar_pk not in done]
    frame_ids = {t.target.pk for t in targets if t.target is not None}
    index = EstateIndex.load(lpar_ids=[t.lpar_pk for t in targets], frame_ids=frame_ids)
    preflight = Preflight(index, preflight_options())
    checkable, not_checkable = [], []
    for target in targets:
        if target.target is None:
            not_checkable.append(_Item(target, "", []))
            continue
        result = preflight.check(target.lpar_pk, target.target.pk)
        item = _Item(target, result.verdict, [f.as_dict() for f in result.findings])
        has_hmcs = target.frame.hmc_id and target.target.hmc_id
        (checkable if has_hmcs else not_checkable).append(item)
    return checkable, not_checkable, len(done)


def readiness_run_execute(*, run: ReadinessRun, worker: str) -> str:
    """Run (or take over) a readiness run; its outcome is on the row."""
    claimed = _claim(run, worker)
    if claimed is None:
        return ReadinessRun.objects.filter(pk=run.pk).values_list("state", flat=True).first()
    run = claimed
    try:
        checkable, not_checkable, done = _items(run)
        state = _Run(run, checkable, done)
        state.total += len(not_checkable)
        ReadinessRun.objects.filter(pk=run.pk).update(total=state.total, done=done)
        for item in not_checkable:
            _not_checked(state, item, _why_not_checkable(item))
        _write(state, _drain(state)[0])
        run_event(
            run,
            f"Validating {len(checkable)} LPARs on {len(state.queues)} HMCs, at most "
            f"{settings.READINESS_HMC_MAX_VALIDATIONS} at a time per HMC.",
        )
        state.look()
        helpers = [
            threading.Thread(target=_monitor, args=(state,), daemon=True),
            threading.Thread(target=_writer, args=(state,), daemon=True),
        ]
        threads = [
            threading.Thread(target=_validator, args=(state, hmc_pk), daemon=True)
            for hmc_pk in state.queues
            for _ in range(settings.READINESS_HMC_MAX_VALIDATIONS)
        ]
        for thread in helpers + threads:
            thread.start()
        for thread in threads:
            thread.join()
        state.written.put(None)
        state.ended.set()
        for thread in helpers:
            thread.join()
    except Exception as error:
        logger.exception("Readiness run #%s failed", run.pk)
        _finish(run, State.FAILED, f"The run failed: {type(error).__name__}: {error}")
        return State.FAILED
    current = ReadinessRun.objects.get(pk=run.pk)
    if state.failures:
        _finish(
            run,
            State.FAILED,
            f"The run failed after {current.done} of {current.total} LPARs: {state.failures[0]}",
        )
        return State.FAILED
    if current.state == State.STOPPING:
        _finish(run, State.STOPPED, f"Stopped after {current.done} of {current.total} LPARs.")
        return State.STOPPED
    _finish(run, State.SUCCEEDED, _summary(current))
    try:
        readiness_changes_notify(run=current)
    except Exception:  # the run's results stand whatever happens to the notification
        logger.exception("Readiness run #%s: notifying the subscribers failed", run.pk)
    return State.SUCCEEDED


def _summary(run: ReadinessRun) -> str:
    verdicts = list(run.results.values_list("verdict", flat=True))
    parts = [
        f"{verdicts.count(v)} {label.lower()}" for v, label in Verdict.choices if verdicts.count(v)
    ]
    return f"{len(verdicts)} LPARs checked: " + (", ".join(parts) or "none")


def _finish(run: ReadinessRun, state: str, message: str) -> None:
    ReadinessRun.objects.filter(pk=run.pk).update(
        state=state,
        message=message,
        step="",
        finished=timezone.now(),
        progress=100 if state == State.SUCCEEDED else F("progress"),
    )
    run_event(run, message, level=Level.ERROR if state == State.FAILED else Level.INFO)


def _why_not_checkable(item: _Item) -> str:
    target = item.target
    if target.target is None:
        return (
            f"No target: no evacuation plan of {target.frame.name} places it, it has no stub "
            f"twin, and {target.frame.name} has no evacuation target."
        )
    if not target.frame.hmc_id:
        return f"Frame {target.frame.name} has no HMC."
    return f"Target frame {target.target.name} has no HMC."


def _monitor(state: _Run) -> None:
    """Every READINESS_BUSY_POLL_SECONDS until the run ends: `look` again."""
    try:
        while not state.ended.wait(settings.READINESS_BUSY_POLL_SECONDS):
            try:
                state.look()
            except Exception:  # the database away a moment: keep the last view, look again
                logger.exception("Readiness run #%s: reading its state failed", state.run.pk)
                close_old_connections()
    finally:
        connection.close()


def _drain(state: _Run) -> tuple[list[ReadinessResult], bool]:
    """The results handed over so far, and whether the end mark (None) was among them."""
    rows, ended = [], False
    while not state.written.empty():
        row = state.written.get_nowait()
        if row is None:
            ended = True
        else:
            rows.append(row)
    return rows, ended


def _write(state: _Run, rows: list[ReadinessResult]) -> None:
    """Save results in one statement (a result a dead worker wrote already is kept) and the
    progress with them."""
    if not rows:
        return
    ReadinessResult.objects.bulk_create(rows, ignore_conflicts=True)
    state.done += len(rows)
    progress = int(100 * state.done / state.total) if state.total else 100
    ReadinessRun.objects.filter(pk=state.run.pk).update(
        done=state.done,
        progress=min(progress, 100),
        heartbeat=timezone.now(),
        step=f"Validated {state.done} of {state.total} LPARs",
    )


def _writer(state: _Run) -> None:
    """Save the results as the slots hand them over, what has gathered at once: the slots
    never wait for the database."""
    try:
        while True:
            first = state.written.get()
            rows, ended = _drain(state)
            _write(state, [first, *rows] if first is not None else rows)
            if first is None or ended:
                return
    finally:
        connection.close()


def _wait_while_busy(state: _Run, hmc: Hmc) -> str:
    """Wait while the HMC is busy migrating; '' when it is free, else why the LPAR is not
    checked (the run is stopping, or the HMC stayed busy past READINESS_BUSY_WAIT_SECONDS)."""
    waited_since = None
    try:
        while True:
            if state.stopping:
                return "stop"
            if hmc.pk not in state.busy:
                return ""
            now = time.monotonic()
            if waited_since is None:
                waited_since = now
                state.waiting[hmc.pk] = hmc.name
            elif now - waited_since > settings.READINESS_BUSY_WAIT_SECONDS:
                return f"HMC {hmc.name} was busy migrating for the whole wait; migrations go first."
            time.sleep(min(settings.READINESS_BUSY_POLL_SECONDS, 0.1))
    finally:
        state.waiting.pop(hmc.pk, None)


def _validator(state: _Run, hmc_pk: int) -> None:
    """One of the N validation slots of an HMC: takes the next LPAR of that HMC until none is
    left, on one SSH connection."""
    close_old_connections()
    client: HmcClient | None = None
    try:
        hmc = Hmc.objects.get(pk=hmc_pk)
        while True:
            item = state.next(hmc_pk)
            if item is None:
                return
            why = state.unreachable.get(hmc_pk) or _wait_while_busy(state, hmc)
            if why == "stop":
                return
            if why:
                _not_checked(state, item, why)
                continue
            if client is None:
                client = hmc_client_open(hmc=hmc)
            try:
                _validate(state, client, item)
            except HmcConnectionError as error:
                state.unreachable[hmc_pk] = f"HMC {hmc.name} could not be reached: {error}"
                run_event(state.run, state.unreachable[hmc_pk], level=Level.ERROR)
                _not_checked(state, item, state.unreachable[hmc_pk])
    except Exception as error:
        logger.exception("Readiness run #%s: a validator of HMC %s failed", state.run.pk, hmc_pk)
        state.failures.append(f"{type(error).__name__}: {error}")
    finally:
        if client is not None:
            client.close()
        connection.close()


def _validate(state: _Run, client: HmcClient, item: _Item) -> None:
    target = item.target
    remote = target.target.hmc if target.target.hmc_id != target.frame.hmc_id else None
    arguments = {
        "source": target.frame.name,
        "destination": target.target.name,
        "lpar": target.lpar_name,
        "remote_hmc": remote.host if remote else None,
        "remote_user": remote.username if remote else None,
    }
    if settings.READINESS_DETAIL_LEVEL:
        arguments["detail_level"] = settings.READINESS_DETAIL_LEVEL
    try:
        command = commands.migrlpar(operation="v", **arguments).text
        output = client.migration_validate(**arguments)
    except HmcCommandError as error:
        _not_checked(state, item, f"The validation cannot be sent: {error}")
        return
    except HmcError as error:
        if set(error.codes) and set(error.codes) <= BUSY_CODES:
            why = f"The HMC is busy ({', '.join(error.codes)}): {error.text.strip()}"
            _not_checked(state, item, why, codes=error.codes, command=command, output=error.text)
            return
        _record(
            state,
            item,
            Verdict.NOT_READY,
            reason=error.text.strip(),
            codes=error.codes,
            command=command,
            output=error.text,
        )
        return
    verdict = Verdict.WARNINGS if output.strip() else Verdict.READY
    codes = list(dict.fromkeys(HSCL_CODE.findall(output)))
    _record(
        state, item, verdict, reason=output.strip(), codes=codes, command=command, output=output
    )


def _not_checked(state: _Run, item: _Item, why: str, **hmc) -> None:
    _record(state, item, Verdict.NOT_CHECKED, reason=why, **hmc)


def disagreement_of(verdict: str, preflight_verdict: str) -> str:
    """Where the HMC and pre-flight disagree: a finding of its own."""
    if verdict == Verdict.NOT_READY and preflight_verdict in (
        PreflightVerdict.OK,
        PreflightVerdict.WARNINGS,
    ):
        return Disagreement.HMC_REFUSED
    if (
        verdict in (Verdict.READY, Verdict.WARNINGS)
        and preflight_verdict == PreflightVerdict.BLOCKED
    ):
        return Disagreement.HMC_ALLOWED
    return Disagreement.NONE


def _record(
    state: _Run,
    item: _Item,
    verdict: str,
    *,
    reason: str,
    codes: list[str] | tuple[str, ...] = (),
    command: str = "",
    output: str = "",
) -> None:
    target, now = item.target, timezone.now()
    codes = list(codes)
    failing_since = None
    if verdict == Verdict.NOT_READY:
        previous = state.previous.get(target.lpar_pk)
        same = (
            previous and previous.verdict == Verdict.NOT_READY and previous.codes[:1] == codes[:1]
        )
        failing_since = previous.failing_since if same else now
    state.written.put(
        ReadinessResult(
            run=state.run,
            lpar_id=target.lpar_pk,
            lpar_name=target.lpar_name,
            frame=target.frame,
            frame_name=target.frame.name,
            hmc_id=target.frame.hmc_id,
            hmc_name=target.frame.hmc.name if target.frame.hmc_id else "",
            target=target.target,
            target_name=target.target.name if target.target else "",
            target_source=target.source,
            checked=now,
            verdict=verdict,
            reason=reason,
            codes=codes,
            code=codes[0] if codes else "",
            command=command,
            output=output,
            preflight_verdict=item.preflight_verdict,
            preflight_findings=item.preflight_findings,
            disagreement=disagreement_of(verdict, item.preflight_verdict),
            failing_since=failing_since,
        )
    )
