"""Writes on the execution side, each a business operation callable from tasks and views."""

import logging
from datetime import timedelta

import asyncssh
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from inventory.choices import ProcMode, VirtualAdapterKind, VirtualAdapterRole
from inventory.history import change_author
from inventory.models import Hmc, Lpar, VirtualAdapter, Wwpn
from inventory.services import object_delete, object_save, vfc_wwpns_set
from lpmplanner.exceptions import Conflict
from lpmplanner.jobs import JobLevel, JobRun, job_enqueue
from migrations_app import discovery
from migrations_app.hmc import commands
from migrations_app.hmc.client import HmcClient
from migrations_app.hmc.commands import MASK
from migrations_app.hmc.errors import HmcCommandError, HmcConnectionError, HmcError
from migrations_app.hmc.ssh import ScannedHostKey, SshTransport, fingerprint_of, host_key_scan
from migrations_app.models import (
    DriftItem,
    HmcSync,
    HmcSyncSchedule,
    LparCreateJob,
    WorkerHeartbeat,
)

logger = logging.getLogger(__name__)


def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    """Note that the worker `hostname` is alive now."""
    with transaction.atomic():
        beat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
            hostname=hostname, defaults={"last_seen": timezone.now(), "beats": 1}
        )
        if not created:
            WorkerHeartbeat.objects.filter(pk=beat.pk).update(
                last_seen=timezone.now(), beats=F("beats") + 1
            )
            beat.refresh_from_db()
    return beat


@sensitive_variables("client_keys")
def hmc_client_open(*, hmc: Hmc) -> HmcClient:
    """A client for the HMC over SSH, verifying its pinned host key; key login with the row's
    private key when it has one, password login when it has a password, else the worker's own
    SSH keys."""
    if hmc.private_key:
        client_keys = [asyncssh.import_private_key(hmc.private_key)]
    else:
        client_keys = None if hmc.password else ()
    transport = SshTransport(
        host=hmc.host,
        port=hmc.ssh_port,
        username=hmc.username,
        host_key=hmc.host_key,
        password=hmc.password or None,
        client_keys=client_keys,
    )
    return HmcClient(transport)


def hmc_host_key_scan(*, hmc: Hmc) -> ScannedHostKey:
    """The key the HMC presents now, for a person to compare with the console's fingerprint."""
    return host_key_scan(host=hmc.host, port=hmc.ssh_port)


def hmc_host_key_trust(*, hmc: Hmc, known_hosts_line: str) -> Hmc:
    """Pin the key a person has seen and accepted (the explicit "trust this key" step)."""
    try:
        fingerprint = fingerprint_of(known_hosts_line)
    except ValueError as error:
        raise ValidationError({"host_key": f"Not a known_hosts line: {error}"}) from None
    hmc.host_key = known_hosts_line.strip()
    object_save(instance=hmc)
    logger.info("Pinned host key %s for HMC %s", fingerprint, hmc.name)
    return hmc


@sensitive_variables("password")
def hmc_ssh_trust_setup(*, hmc: Hmc, remote: Hmc, password: str) -> str:
    """Let `hmc` log in to `remote` with its SSH key, as migrations between them need (§1.6):
    `mkauthkeys --ip <remote> -u <remote user> -g --passwd <password>` run on `hmc`, then
    `mkauthkeys --test`. The password is sent to the HMC once and kept nowhere: not stored,
    not logged, never in an answer (an HMC message that quotes it is masked). Returns a
    sentence saying it worked; a refusal is a ValidationError in words, an unreachable HMC an
    HmcConnectionError."""
    if remote.pk == hmc.pk:
        raise ValidationError({"remote_hmc": [f"Choose another HMC than {hmc} itself."]})
    if not password:
        raise ValidationError(
            {"password": [f"Give the password of {remote.username} on HMC {remote}."]}
        )
    try:
        with hmc_client_open(hmc=hmc) as client:
            client.ssh_trust_setup(
                remote_hmc=remote.host, remote_user=remote.username, password=password
            )
            client.ssh_trust_test(remote_hmc=remote.host, remote_user=remote.username)
    except HmcCommandError as error:
        field = "password" if "password" in str(error) else "remote_hmc"
        raise ValidationError({field: [str(error)]}) from None
    except HmcError as error:
        codes = ", ".join(error.codes) or f"exit status {error.exit_status}"
        text = error.text.replace(password, MASK).strip()
        raise ValidationError(
            {
                "remote_hmc": [
                    f"HMC {hmc} could not set up SSH trust to HMC {remote} as "
                    f"{remote.username} ({codes}): {text}"
                ]
            }
        ) from None
    logger.info("HMC %s now logs in to HMC %s as %s with its SSH key", hmc, remote, remote.username)
    return (
        f"HMC {hmc} now logs in to HMC {remote} as {remote.username} with its SSH key: "
        "migrations between them can run. The password was used once and not kept."
    )


def hmc_sync_request(*, hmc: Hmc, user=None) -> HmcSync:
    """Queue a discovery run of the HMC; the worker starts it once the row is committed. A sync
    already queued or running is returned instead of starting another."""
    from migrations_app.tasks import hmc_sync_run_task

    active = hmc.syncs.filter(state__in=[HmcSync.State.QUEUED, HmcSync.State.RUNNING]).first()
    if active:
        return active
    try:
        with transaction.atomic():
            sync = HmcSync.objects.create(hmc=hmc, requested_by=user)
    except IntegrityError:
        return hmc.syncs.filter(state__in=[HmcSync.State.QUEUED, HmcSync.State.RUNNING]).first()
    job_enqueue(job=sync, task=hmc_sync_run_task)
    return sync


def hmc_sync_run(*, sync: HmcSync, worker: str = "") -> HmcSync:
    """Read the HMC frame by frame, then reconcile the plan with each frame read. A frame that
    cannot be read or taken is skipped with its reason and the others are imported: the sync
    succeeds, is partial (some frames skipped) or fails (none read). An HMC that cannot be
    reached, refuses the login or shows another host key fails the sync and changes nothing.
    A sync that is not queued (another worker took it, or it is over) is left as it is."""
    with JobRun(sync, worker=worker) as run:
        if not run.claimed:
            return sync
        run.progress(1, "Connecting")
        return _sync_read(sync, run)


def _sync_read(sync: HmcSync, run: JobRun) -> HmcSync:
    try:
        with hmc_client_open(hmc=sync.hmc) as client:
            read = discovery.hmc_read(client, run.progress)
        if read.version is not None:
            Hmc.objects.filter(pk=sync.hmc_id).update(version=str(read.version))
        run.progress(80, "Updating the inventory")
        with (
            transaction.atomic(),
            change_author(user=sync.requested_by, request_id=f"hmc-sync-{sync.pk}"),
        ):
            items, not_taken = discovery.Reconciler(sync=sync).run(read.snapshots)
    except (HmcConnectionError, HmcError, HmcCommandError) as error:
        return run.fail(str(error), progress=100, frames=[])
    except ValidationError as error:
        return run.fail("; ".join(error.messages), progress=100, frames=[])
    skipped = {frame.name: frame.reason for frame in [*read.skipped, *not_taken]}
    frames = [{"name": s.info.name, "outcome": "read", "reason": ""} for s in read.snapshots]
    frames = [f for f in frames if f["name"] not in skipped]
    frames += [{"name": name, "outcome": "skipped", "reason": why} for name, why in skipped.items()]
    for name, why in skipped.items():
        run.event(f"Frame {name} skipped: {why}", level=JobLevel.WARNING, data={"frame": name})
    pending = sum(1 for item in items if item.resolution == DriftItem.Resolution.PENDING)
    added = len(items) - pending
    summary = (
        f"Read {len(frames) - len(skipped)} frame(s): {added} row(s) added, {pending} "
        "difference(s) to review."
    )
    if skipped:
        summary += " Skipped: " + "; ".join(f"{name}: {why}" for name, why in skipped.items())
    if not skipped:
        return run.finish(summary, frames=frames)
    if len(skipped) < len(frames):
        return run.finish(summary, state=HmcSync.State.PARTIAL, frames=frames)
    return run.fail(summary, progress=100, frames=frames)


@transaction.atomic
def drift_item_resolve(*, item: DriftItem, accept: bool, user=None) -> DriftItem:
    """Accept the HMC's side of a difference (the plan takes its value, or loses the row the HMC
    does not have) or keep the plan as it is."""
    if item.resolution != DriftItem.Resolution.PENDING:
        raise ValidationError("This difference has already been resolved.")
    if item.kind not in (DriftItem.Kind.DIFFERS, DriftItem.Kind.MISSING_ON_HMC):
        raise ValidationError("Only a differing value or a row missing on the HMC is resolved.")
    if accept:
        model = _drift_model(item)
        obj = model.objects.filter(pk=item.object_id).first()
        if obj is None:
            raise ValidationError(f"{item.label} is no longer in the plan.")
        if item.kind == DriftItem.Kind.DIFFERS:
            discovery.plan_value_set(obj, item.field, item.hmc_value)
        else:
            try:
                object_delete(instance=obj)
            except Conflict as error:
                raise ValidationError(str(error)) from None
    item.resolution = DriftItem.Resolution.ACCEPTED if accept else DriftItem.Resolution.KEPT
    item.resolved_by = user
    item.save(update_fields=["resolution", "resolved_by"])
    return item


def _drift_model(item: DriftItem):
    from django.apps import apps

    return apps.get_model("inventory", item.model)


def hmc_syncs_due(*, now=None) -> list[HmcSync]:
    """Start the scheduled syncs whose interval has passed since their HMC's last sync."""
    now = now or timezone.now()
    started = []
    for schedule in HmcSyncSchedule.objects.filter(enabled=True).select_related("hmc"):
        last = schedule.hmc.syncs.order_by("-created").first()
        if last is None or last.created <= now - timedelta(minutes=schedule.interval_minutes):
            started.append(hmc_sync_request(hmc=schedule.hmc))
    return started


def partition_attributes(*, lpar: Lpar) -> dict[str, str | int | list[str]]:
    """The `mksyscfg -r lpar` attributes of a planned partition (`commands.mksyscfg_lpar_
    attributes` says which), with its virtual adapters as the HMC takes them."""
    adapters = lpar.virtual_adapters.select_related("remote_lpar").prefetch_related("vlans")
    eth, scsi, fc = [], [], []
    for a in adapters.order_by("slot"):
        if a.kind == VirtualAdapterKind.ETHERNET and a.pvid_id:
            eth.append(
                commands.virtual_eth_element(
                    slot=a.slot,
                    pvid=a.pvid_id,
                    tagged_vlans=[v.vlan_id for v in a.vlans.all()],
                    vswitch=a.vswitch,
                )
            )
        elif a.role == VirtualAdapterRole.CLIENT and a.remote_lpar_id and a.remote_slot:
            remote = {
                "slot": a.slot,
                "remote_lpar_id": a.remote_lpar.lpar_id,
                "remote_lpar_name": a.remote_lpar.name,
                "remote_slot": a.remote_slot,
            }
            if a.kind == VirtualAdapterKind.VSCSI:
                scsi.append(commands.virtual_scsi_element(**remote))
            elif a.kind == VirtualAdapterKind.VFC:
                fc.append(commands.virtual_fc_element(**remote))
    return commands.mksyscfg_lpar_attributes(
        name=lpar.name,
        lpar_id=lpar.lpar_id,
        profile_name=lpar.profile_name or "default",
        kind=lpar.kind,
        memory_mb=lpar.memory_mb,
        memory_region_mb=lpar.frame.memory_region_mb or 256,
        dedicated=lpar.proc_mode == ProcMode.DEDICATED,
        proc_units=lpar.proc_units,
        virtual_procs=lpar.virtual_procs,
        shared_pool=lpar.shared_pool.name if lpar.shared_pool_id else None,
        compat_mode=lpar.compat_mode,
        max_virtual_slots=lpar.max_virtual_slots,
        eth=eth,
        scsi=scsi,
        fc=fc,
    )


def lpar_create_on_hmc(*, lpar: Lpar) -> Lpar:
    """Create a planned partition (a stub twin) on its frame through the HMC, Not Activated, and
    read back the WWPN pairs the HMC assigned to its vFC clients: each takes the place of the
    planned WWPN in the same position, on the same fabric."""
    frame = lpar.frame
    if frame.hmc is None:
        raise ValidationError({"frame": f"Frame {frame.name} has no HMC."})
    try:
        attributes = partition_attributes(lpar=lpar)
    except HmcCommandError as error:
        raise ValidationError(str(error)) from None
    with hmc_client_open(hmc=frame.hmc) as client:
        client.partition_create(system=frame.name, attributes=attributes)
        assigned = {
            a.slot: list(a.wwpns)
            for a in client.virtual_fc_adapters(system=frame.name)
            if a.lpar_id == lpar.lpar_id and a.role == "client"
        }
    clients = lpar.virtual_adapters.filter(VirtualAdapter.VFC_CLIENT).prefetch_related(
        "wwpns__fabric"
    )
    with transaction.atomic():
        for adapter in clients:
            pair = assigned.get(adapter.slot)
            if pair:
                fabric = {w.position: w.fabric for w in adapter.wwpns.all()}
                vfc_wwpns_set(adapter=adapter, wwpns=pair, fabrics=[fabric.get(1), fabric.get(2)])
    return lpar


def lpar_create_on_hmc_request(*, lpar: Lpar, user=None) -> LparCreateJob:
    """Queue the creation of a planned stub twin on its frame's HMC; the worker starts it once
    the job row is committed."""
    from migrations_app.tasks import lpar_create_on_hmc_task

    if lpar.stub_of_id is None:
        raise ValidationError({"lpar": f"{lpar.name} is not a planned stub twin."})
    if lpar.frame.hmc_id is None:
        raise ValidationError({"frame": f"Frame {lpar.frame.name} has no HMC."})
    job = LparCreateJob.objects.create(lpar=lpar, requested_by=user)
    job_enqueue(job=job, task=lpar_create_on_hmc_task)
    return job


def lpar_create_job_run(*, job: LparCreateJob, worker: str = "") -> LparCreateJob:
    """Run one queued creation; an HMC that refuses it fails the job with the HMC's reason. A
    job that is not queued (another worker took it, or it is over) is left as it is."""
    with JobRun(job, worker=worker) as run:
        if not run.claimed:
            return job
        lpar = job.lpar
        run.progress(10, f"Creating {lpar.name} on {lpar.frame.name}")
        try:
            with change_author(user=job.requested_by, request_id=f"lpar-create-{job.pk}"):
                lpar_create_on_hmc(lpar=lpar)
        except (HmcConnectionError, HmcError, HmcCommandError) as error:
            return run.fail(str(error))
        except ValidationError as error:
            return run.fail("; ".join(error.messages))
        pairs = Wwpn.objects.filter(virtual_adapter__lpar=lpar).count() // 2
        return run.finish(
            f"Created {lpar.name} on {lpar.frame.name}, Not Activated; {pairs} WWPN pair(s) "
            "read back into the plan."
        )
