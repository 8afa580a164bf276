"""The Migrate wizard's choices: the defaults proposed for an LPAR and a destination frame, the
rules every choice must meet, and the exact `migrlpar` line they make (§1.1 of the domain
notes)."""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError

from inventory.choices import LparKind, ProcMode, VirtualAdapterKind, VirtualAdapterRole
from inventory.models import Frame, Hmc, Lpar, VirtualAdapter
from inventory.models.partitions import SLOT_CEILING, SLOT_MIN, profile_name_validator
from migrations_app.hmc import commands
from migrations_app.hmc.errors import HmcCommandError
from planning.selectors import lpar_used_slots, scheme_for_frame

DEFAULT_WAIT_MINUTES = 5
MAX_WAIT_MINUTES = 1440
STORAGE_KINDS = (VirtualAdapterKind.VSCSI, VirtualAdapterKind.VFC)
MAPPING_ATTRIBUTE = {
    VirtualAdapterKind.VSCSI: "virtual_scsi_mappings",
    VirtualAdapterKind.VFC: "virtual_fc_mappings",
}


@dataclass(frozen=True)
class StorageMapping:
    """Where one vSCSI or vFC client slot is hosted on the destination: a VIOS and its slot."""

    kind: str
    client_slot: int
    vios: int  # the destination VIOS's Lpar pk
    vios_name: str
    vios_id: int
    vios_slot: int
    source_vios_name: str = ""
    source_vios_slot: int | None = None

    @property
    def hmc_element(self) -> str:
        """`client_slot/vios_name/vios_id/vios_slot`, as `virtual_*_mappings` takes it."""
        return f"{self.client_slot}/{self.vios_name}/{self.vios_id}/{self.vios_slot}"


@dataclass(frozen=True)
class VlanBridge:
    """A VLAN of the LPAR and the destination VIOS that bridges it (none: not bridged)."""

    vlan: int
    vios: int | None
    vios_name: str


@dataclass
class MigrationOptions:
    """Everything the wizard sets. `migration_proposal` fills it with the defaults."""

    source_msp: Lpar | None = None
    dest_msp: Lpar | None = None
    storage_mappings: list[StorageMapping] = field(default_factory=list)
    vlan_bridges: list[VlanBridge] = field(default_factory=list)
    shared_pool_name: str = ""
    wait_minutes: int = DEFAULT_WAIT_MINUTES
    dest_profile_name: str = ""
    dest_lpar_id: int | None = None

    def job_fields(self) -> dict[str, Any]:
        """The MigrationJob columns these options fill."""
        return {
            "source_msp": self.source_msp, "dest_msp": self.dest_msp,
            "storage_mappings": [asdict(m) for m in self.storage_mappings],
            "vlan_bridges": [asdict(b) for b in self.vlan_bridges],
            "shared_pool_name": self.shared_pool_name, "wait_minutes": self.wait_minutes,
            "dest_profile_name": self.dest_profile_name, "dest_lpar_id": self.dest_lpar_id,
        }  # fmt: skip


def _msp_choice(frame: Frame, running_by_vios: Mapping[int, int]) -> Lpar | None:
    """The mover service partition with the most memory (the migration's buffers come out of
    the MSP's memory; the inventory does not hold its free memory), then the least busy."""
    candidates = frame.lpars.filter(kind=LparKind.VIOS, msp=True)
    return min(
        candidates,
        key=lambda v: (-v.memory_mb, running_by_vios.get(v.pk, 0), v.lpar_id),
        default=None,
    )


def _storage_clients(lpar: Lpar) -> list[VirtualAdapter]:
    return list(
        lpar.virtual_adapters.filter(kind__in=STORAGE_KINDS, role=VirtualAdapterRole.CLIENT)
        .select_related("remote_lpar")
        .order_by("slot")
    )


def _free_slot(vios: Lpar, kind: str, wanted: int | None, taken: set[int]) -> int | None:
    """The wanted slot when the VIOS has it free, else the lowest free one of the kind's range."""
    if wanted is not None and wanted not in taken:
        return wanted
    scheme = scheme_for_frame(frame=vios.frame_id)
    first, last = scheme.slot_range(kind) if scheme else (SLOT_MIN, SLOT_CEILING - 1)
    return next((s for s in range(first, min(last, SLOT_CEILING - 1) + 1) if s not in taken), None)


def vios_slots_taken(vios: Lpar, *, claimed: Iterable[int] = (), lpar: Lpar | None = None) -> set:
    """Slots of the VIOS that are used, reserved, or promised to other migrations; an adapter
    already serving `lpar` does not count (it is the one the migration will use)."""
    taken = lpar_used_slots(lpar=vios) | set(claimed)
    if lpar is not None:
        taken -= set(vios.virtual_adapters.filter(remote_lpar=lpar).values_list("slot", flat=True))
    return taken


def migration_proposal(
    *,
    lpar: Lpar,
    destination: Frame,
    running_by_vios: Mapping[int, int] | None = None,
    claimed_slots: Mapping[int, set[int]] | None = None,
    claimed_lpar_ids: Collection[int] = (),
) -> MigrationOptions:
    """The wizard's defaults: the MSP with the most memory on each side, each VLAN with the
    destination VIOS that bridges it, each vSCSI/vFC client slot on the destination VIOS with
    the same LPAR id as its VIOS today (its server slot kept when free there), the LPAR's shared
    pool by name, its LPAR id, a 5-minute wait. `claimed_slots` (VIOS pk → slots) and
    `claimed_lpar_ids` (on the destination) are what other migrations will take."""
    running_by_vios = running_by_vios or {}
    claimed_slots = claimed_slots or {}
    vioses = list(destination.lpars.filter(kind=LparKind.VIOS).order_by("lpar_id"))
    by_id = {v.lpar_id: v for v in vioses}
    taken: dict[int, set[int]] = {}
    mappings = []
    for client in _storage_clients(lpar):
        source_vios = client.remote_lpar
        vios = by_id.get(source_vios.lpar_id) if source_vios else None
        vios = vios or (vioses[0] if vioses else None)
        if vios is None:
            continue
        if vios.pk not in taken:
            taken[vios.pk] = vios_slots_taken(vios, claimed=claimed_slots.get(vios.pk, ()))
        slot = _free_slot(vios, client.kind, client.remote_slot, taken[vios.pk])
        if slot is None:
            continue
        taken[vios.pk].add(slot)
        mappings.append(
            StorageMapping(
                kind=client.kind,
                client_slot=client.slot,
                vios=vios.pk,
                vios_name=vios.name,
                vios_id=vios.lpar_id,
                vios_slot=slot,
                source_vios_name=source_vios.name if source_vios else "",
                source_vios_slot=client.remote_slot,
            )
        )
    pool = ""
    if lpar.proc_mode == ProcMode.SHARED:
        pool = lpar.shared_pool.name if lpar.shared_pool_id else "DefaultPool"
    # The LPAR keeps its id where it is free; where it is taken (a pre-flight warning) the HMC
    # picks one, as it would.
    id_taken = (
        lpar.lpar_id in claimed_lpar_ids
        or destination.lpars.filter(lpar_id=lpar.lpar_id).exclude(pk=lpar.pk).exists()
    )
    return MigrationOptions(
        source_msp=_msp_choice(lpar.frame, running_by_vios),
        dest_msp=_msp_choice(destination, running_by_vios),
        storage_mappings=mappings,
        vlan_bridges=vlan_bridges(lpar=lpar, destination=destination),
        shared_pool_name=pool,
        dest_lpar_id=None if id_taken else lpar.lpar_id,
    )


def vlan_bridges(*, lpar: Lpar, destination: Frame) -> list[VlanBridge]:
    """Each VLAN the LPAR uses, with the destination VIOS whose trunk adapter carries it."""
    wanted: set[int] = set()
    for adapter in lpar.virtual_adapters.filter(kind=VirtualAdapterKind.ETHERNET).prefetch_related(
        "vlans"
    ):
        wanted.update(adapter.vlan_ids)
    bridges: dict[int, Lpar] = {}
    trunks = VirtualAdapter.objects.filter(
        lpar__frame=destination, lpar__kind=LparKind.VIOS, role=VirtualAdapterRole.TRUNK
    ).select_related("lpar")
    for trunk in trunks.prefetch_related("vlans").order_by("lpar__lpar_id", "slot"):
        for vlan in trunk.vlan_ids:
            bridges.setdefault(vlan, trunk.lpar)
    return [
        VlanBridge(
            vlan=vlan,
            vios=bridges[vlan].pk if vlan in bridges else None,
            vios_name=bridges[vlan].name if vlan in bridges else "",
        )
        for vlan in sorted(wanted)
    ]


def _lpar_of(value: Lpar | int | None) -> Lpar | None:
    if value is None or isinstance(value, Lpar):
        return value
    return Lpar.objects.filter(pk=value).first() or Lpar(pk=value, name=f"#{value}")


def options_resolve(
    *, lpar: Lpar, destination: Frame, proposal: MigrationOptions, given: Mapping[str, Any]
) -> MigrationOptions:
    """The proposal with what the caller chose laid over it. `storage_mappings` replace the
    proposed ones slot by slot: each is `{"client_slot", "vios" (an Lpar or its id),
    "vios_slot"}`."""
    options = replace(proposal)
    for name in ("shared_pool_name", "wait_minutes", "dest_profile_name", "dest_lpar_id"):
        if name in given:
            setattr(options, name, given[name])
    for name in ("source_msp", "dest_msp"):
        if name in given:
            setattr(options, name, _lpar_of(given[name]))
    if given.get("storage_mappings") is not None:
        clients = {a.slot: a for a in _storage_clients(lpar)}
        chosen = {m.client_slot: m for m in proposal.storage_mappings}
        for raw in given["storage_mappings"]:
            client = clients.get(raw.get("client_slot"))
            vios = _lpar_of(raw.get("vios"))
            if client is None or vios is None:
                raise ValidationError(
                    {"storage_mappings": f"{lpar.name} has no vSCSI or vFC client in slot "
                     f"{raw.get('client_slot')}." if client is None else "Name the VIOS."}
                )  # fmt: skip
            chosen[client.slot] = StorageMapping(
                kind=client.kind, client_slot=client.slot, vios=vios.pk, vios_name=vios.name,
                vios_id=vios.lpar_id or 0, vios_slot=raw.get("vios_slot") or 0,
                source_vios_name=client.remote_lpar.name if client.remote_lpar_id else "",
                source_vios_slot=client.remote_slot,
            )  # fmt: skip
        options.storage_mappings = [chosen[slot] for slot in sorted(chosen)]
    return options


def options_errors(
    *,
    lpar: Lpar,
    destination: Frame,
    options: MigrationOptions,
    claimed_slots: Mapping[int, set[int]] | None = None,
    claimed_lpar_ids: Collection[int] = (),
) -> dict[str, list[str]]:
    """Every rule the options break, by field, in words. `claimed_slots` and `claimed_lpar_ids`
    are destination VIOS slots and LPAR ids other migrations will take."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, frame, msp in (
        ("source_msp", lpar.frame, options.source_msp),
        ("dest_msp", destination, options.dest_msp),
    ):
        side = "source" if name == "source_msp" else "destination"
        if msp is None:
            add(name, f"Frame {frame.name} has no mover service partition (a VIOS with MSP on).")
        elif msp.frame_id != frame.pk or msp.kind != LparKind.VIOS or not msp.msp:
            add(name, f"{msp.name} is not a mover service partition of the {side} frame "
                f"{frame.name}.")  # fmt: skip
    if not 1 <= (options.wait_minutes or 0) <= MAX_WAIT_MINUTES:
        add("wait_minutes", f"The wait time is 1 to {MAX_WAIT_MINUTES} minutes.")
    if options.dest_profile_name:
        try:
            profile_name_validator(options.dest_profile_name)
        except ValidationError as error:
            add("dest_profile_name", error.messages[0])
    if options.dest_lpar_id is not None:
        if not 1 <= options.dest_lpar_id <= 32767:
            add("dest_lpar_id", "An LPAR id is 1 to 32767.")
        elif destination.lpars.filter(lpar_id=options.dest_lpar_id).exclude(pk=lpar.pk).exists():
            add("dest_lpar_id", f"LPAR id {options.dest_lpar_id} is in use on {destination.name}.")
        elif options.dest_lpar_id in claimed_lpar_ids:
            add("dest_lpar_id", f"LPAR id {options.dest_lpar_id} is promised on "
                f"{destination.name} to another migration in progress.")  # fmt: skip
    if lpar.proc_mode == ProcMode.SHARED:
        if not options.shared_pool_name:
            add("shared_pool_name", "Name the destination shared processor pool: it is always "
                "sent, never left to the HMC's default.")  # fmt: skip
        elif not destination.shared_pools.filter(name=options.shared_pool_name).exists():
            add("shared_pool_name", f"{destination.name} has no shared processor pool named "
                f"{options.shared_pool_name}.")  # fmt: skip
    _storage_errors(lpar, destination, options, claimed_slots or {}, add)
    return errors


def _storage_errors(lpar, destination, options, claimed_slots, add) -> None:
    clients = {a.slot: a for a in _storage_clients(lpar)}
    mapped = {m.client_slot: m for m in options.storage_mappings}
    for slot in sorted(set(clients) - set(mapped)):
        add("storage_mappings", f"Choose the destination VIOS and slot for client slot {slot}.")
    vioses = {v.pk: v for v in destination.lpars.filter(kind=LparKind.VIOS)}
    seen: set[tuple[int, int]] = set()
    taken: dict[int, set[int]] = {}
    for mapping in options.storage_mappings:
        vios = vioses.get(mapping.vios)
        label = f"Client slot {mapping.client_slot}"
        if vios is None:
            add("storage_mappings", f"{label}: {mapping.vios_name} is not a VIOS of "
                f"{destination.name}.")  # fmt: skip
            continue
        if not SLOT_MIN <= mapping.vios_slot < SLOT_CEILING:
            add("storage_mappings", f"{label}: VIOS slots are numbered {SLOT_MIN} to "
                f"{SLOT_CEILING - 1}.")  # fmt: skip
            continue
        if vios.pk not in taken:
            taken[vios.pk] = vios_slots_taken(
                vios, claimed=claimed_slots.get(vios.pk, ()), lpar=lpar
            )
        if (vios.pk, mapping.vios_slot) in seen or mapping.vios_slot in taken[vios.pk]:
            add("storage_mappings", f"{label}: slot {mapping.vios_slot} of {vios.name} is "
                "already in use.")  # fmt: skip
        seen.add((vios.pk, mapping.vios_slot))


def migrlpar_arguments(job, operation: str) -> dict[str, Any]:
    """The keyword arguments of `commands.migrlpar` for a job (saved or not) and an operation."""
    arguments: dict[str, Any] = {
        "operation": operation, "source": job.source_frame.name, "lpar": job.lpar_name,
    }  # fmt: skip
    if operation in ("v", "m"):
        arguments["destination"] = job.destination_frame.name
        arguments["profile"] = job.dest_profile_name or None
        arguments["attributes"] = migration_attributes(job)
        remote = remote_hmc_of(job)
        if remote is not None:
            # Stop and recover run on the source HMC about its own partition (§1.1): only
            # validate and migrate name the destination's HMC.
            arguments["remote_hmc"], arguments["remote_user"] = remote.host, remote.username
    if operation == "m":
        arguments["wait_minutes"] = job.wait_minutes
    if operation == "r":
        arguments["force"] = job.recover_force
    return arguments


def remote_hmc_of(job) -> Hmc | None:
    """The HMC of the job's destination frame when it is not the job's (source) HMC, else
    None: a migration between HMCs."""
    destination = job.destination_frame
    if destination.hmc_id is None or destination.hmc_id == job.hmc_id:
        return None
    return destination.hmc


def migration_attributes(job) -> dict[str, Any]:
    """The `-i` attributes: destination id, MSPs, the shared pool by name, the storage maps."""
    attributes: dict[str, Any] = {}
    if job.dest_lpar_id:
        attributes["dest_lpar_id"] = job.dest_lpar_id
    if job.source_msp_id:
        attributes["source_msp_name"] = job.source_msp.name
    if job.dest_msp_id:
        attributes["dest_msp_name"] = job.dest_msp.name
    if job.shared_pool_name:
        attributes["shared_proc_pool_name"] = job.shared_pool_name
    for kind, name in MAPPING_ATTRIBUTE.items():
        elements = [
            StorageMapping(**m).hmc_element for m in job.storage_mappings if m["kind"] == kind
        ]
        if elements:
            attributes[name] = elements
    return attributes


def migration_command(job, operation: str) -> commands.Command:
    """The exact command line a job sends; a value the HMC would refuse is a ValidationError."""
    try:
        return commands.migrlpar(**migrlpar_arguments(job, operation))
    except HmcCommandError as error:
        raise ValidationError(str(error)) from None
