"""The Migrate wizard's choices: the defaults proposed for an LPAR and a destination frame, the
rules every choice must meet, and the exact `migrlpar` line they make (§1.1 of the domain
notes)."""

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError

from inventory.choices import LparKind, ProcMode, VirtualAdapterKind, VirtualAdapterRole
from inventory.models import Frame, Hmc, Lpar, SharedProcessorPool, VirtualAdapter
from inventory.models.partitions import SLOT_CEILING, SLOT_MIN, profile_name_validator
from migrations_app.hmc import commands
from migrations_app.hmc.errors import HmcCommandError
from planning.models import SlotReservation
from planning.selectors import schemes_by_frame

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
    fc_port: str = ""  # vFC: the destination VIOS's physical port (fcs0), pinning the fabric

    @property
    def hmc_element(self) -> str:
        """`client_slot/vios_name/vios_id/vios_slot[/fc_port]`, as `virtual_*_mappings` takes
        it: the fifth field (vFC only) names the destination physical port."""
        element = f"{self.client_slot}/{self.vios_name}/{self.vios_id}/{self.vios_slot}"
        return f"{element}/{self.fc_port}" if self.fc_port else element


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
    # migrlpar's own options: empty means the HMC's default (not sent), as the HMC's wizard.
    detail_level: int | None = None
    npiv_validation: str = ""
    vlan_bridge: str = ""
    mpio: str = ""
    redundant_vios: str = ""

    @classmethod
    def of_job(cls, job) -> "MigrationOptions":
        """The options a job was saved with."""
        return cls(
            source_msp=job.source_msp,
            dest_msp=job.dest_msp,
            storage_mappings=[StorageMapping(**m) for m in job.storage_mappings],
            vlan_bridges=[VlanBridge(**b) for b in job.vlan_bridges],
            shared_pool_name=job.shared_pool_name,
            wait_minutes=job.wait_minutes,
            dest_profile_name=job.dest_profile_name,
            dest_lpar_id=job.dest_lpar_id,
            **{name: getattr(job, name) for name in MIGRLPAR_FLAGS},
        )

    def job_fields(self) -> dict[str, Any]:
        """The MigrationJob columns these options fill."""
        return {
            "source_msp": self.source_msp,
            "dest_msp": self.dest_msp,
            "storage_mappings": [dict(vars(m)) for m in self.storage_mappings],
            "vlan_bridges": [dict(vars(b)) for b in self.vlan_bridges],
            "shared_pool_name": self.shared_pool_name,
            "wait_minutes": self.wait_minutes,
            "dest_profile_name": self.dest_profile_name,
            "dest_lpar_id": self.dest_lpar_id,
            **{name: getattr(self, name) for name in MIGRLPAR_FLAGS},
        }


# The wizard's migrlpar options, by the `commands.migrlpar` argument and the MigrationJob field
# of the same name, with the option the HMC knows and the first HMC level (version, release,
# service pack) whose migrlpar takes it (verify: levels before V9R1 are from older man pages).
MIGRLPAR_FLAGS = {
    "detail_level": ("-d", (7, 3, 0)),
    "redundant_vios": ("--redundantvios", (7, 7, 0)),
    "mpio": ("--mpio", (7, 7, 0)),
    "vlan_bridge": ("--vlanbridge", (7, 7, 0)),
    "npiv_validation": ("--npivval", (9, 1, 920)),
}
HMC_LEVEL = re.compile(r"V(\d+)R(\d+)(?:\s*M(\d+))?")
FC_PORT = re.compile(r"fcs\d{1,4}")


def hmc_level_of(hmc: Hmc | None) -> tuple[int, int, int] | None:
    """The level an HMC's last sync read (`lshmc -V`, kept as `V9R2 M950`); None unknown."""
    match = HMC_LEVEL.search(hmc.version if hmc is not None else "")
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def migrlpar_flags_supported(hmc: Hmc | None) -> list[str]:
    """The wizard's migrlpar options this HMC's level takes; all of them when its level is
    not known yet (no sync has read it)."""
    level = hmc_level_of(hmc)
    return [name for name, (_, since) in MIGRLPAR_FLAGS.items() if level is None or level >= since]


@dataclass(frozen=True, slots=True)
class StorageClient:
    """A vSCSI or vFC client adapter of an LPAR, and the VIOS (and its slot) serving it now."""

    kind: str
    slot: int
    remote_slot: int | None
    vios: int | None  # the serving VIOS's Lpar pk
    vios_name: str | None
    vios_lpar_id: int | None


@dataclass
class OptionFacts:
    """The rows the wizard's defaults and rules read, for some LPARs and frames (their own
    frames and their destinations), loaded in a fixed number of queries however many: a batch
    loads them once for all its jobs."""

    vioses: dict[int, list[Lpar]]  # frame pk → its VIOS, by LPAR id
    clients: dict[int, list[StorageClient]]  # LPAR pk → its vSCSI/vFC clients, by slot
    used_slots: dict[int, set[int]]  # VIOS pk → slots holding an adapter or reserved
    serving: dict[tuple[int, int], set[int]]  # (VIOS pk, LPAR pk) → its slots serving the LPAR
    lpar_ids: dict[int, dict[int, int]]  # frame pk → {LPAR id: Lpar pk}
    pools: dict[int, set[str]]  # frame pk → its shared pools' names
    vlans: dict[int, set[int]]  # LPAR pk → the VLANs of its Ethernet adapters
    bridges: dict[int, dict[int, Lpar]]  # frame pk → {VLAN: the VIOS whose trunk carries it}
    schemes: dict[int, Any]  # frame pk → its enumeration scheme, where it names one
    default_scheme: Any

    @classmethod
    def load(cls, *, lpars: Iterable[Lpar], frame_ids: Iterable[int]) -> "OptionFacts":
        lpar_pks = [lpar.pk for lpar in lpars]
        frame_pks = {*frame_ids, *(lpar.frame_id for lpar in lpars)}
        vioses: dict[int, list[Lpar]] = defaultdict(list)
        for vios in Lpar.objects.filter(frame_id__in=frame_pks, kind=LparKind.VIOS).order_by(
            "lpar_id"
        ):
            vioses[vios.frame_id].append(vios)
        vios_pks = [v.pk for found in vioses.values() for v in found]
        clients: dict[int, list[StorageClient]] = defaultdict(list)
        storage = VirtualAdapter.objects.filter(
            lpar_id__in=lpar_pks, kind__in=STORAGE_KINDS, role=VirtualAdapterRole.CLIENT
        ).order_by("slot")
        columns = (
            "kind",
            "slot",
            "remote_slot",
            "remote_lpar_id",
            "remote_lpar__name",
            "remote_lpar__lpar_id",
        )
        for lpar_pk, *client in storage.values_list("lpar_id", *columns):
            clients[lpar_pk].append(StorageClient(*client))
        used: dict[int, set[int]] = defaultdict(set)
        serving: dict[tuple[int, int], set[int]] = defaultdict(set)
        on_vioses = VirtualAdapter.objects.filter(lpar_id__in=vios_pks)
        for vios_pk, slot, remote in on_vioses.values_list("lpar_id", "slot", "remote_lpar_id"):
            used[vios_pk].add(slot)
            if remote is not None:
                serving[vios_pk, remote].add(slot)
        reserved = SlotReservation.objects.filter(lpar_id__in=vios_pks)
        for vios_pk, slot in reserved.values_list("lpar_id", "slot"):
            used[vios_pk].add(slot)
        lpar_ids: dict[int, dict[int, int]] = defaultdict(dict)
        for frame_pk, lpar_id, pk in Lpar.objects.filter(frame_id__in=frame_pks).values_list(
            "frame_id", "lpar_id", "pk"
        ):
            lpar_ids[frame_pk][lpar_id] = pk
        pools: dict[int, set[str]] = defaultdict(set)
        for frame_pk, name in SharedProcessorPool.objects.filter(
            frame_id__in=frame_pks
        ).values_list("frame_id", "name"):
            pools[frame_pk].add(name)
        vlans: dict[int, set[int]] = defaultdict(set)
        ethernet = VirtualAdapter.objects.filter(
            lpar_id__in=lpar_pks, kind=VirtualAdapterKind.ETHERNET
        )
        for lpar_pk, vlan in _vlans_of(ethernet, "lpar_id"):
            vlans[lpar_pk].add(vlan)
        bridges: dict[int, dict[int, Lpar]] = defaultdict(dict)
        by_pk = {v.pk: v for found in vioses.values() for v in found}
        trunks = VirtualAdapter.objects.filter(lpar_id__in=vios_pks, role=VirtualAdapterRole.TRUNK)
        carried = sorted(
            _vlans_of(trunks, "lpar_id", "slot"), key=lambda row: (by_pk[row[0]].lpar_id, row[1])
        )
        for vios_pk, _, vlan in carried:
            vios = by_pk[vios_pk]
            bridges[vios.frame_id].setdefault(vlan, vios)
        schemes, default_scheme = schemes_by_frame()
        return cls(
            vioses, clients, used, serving, lpar_ids, pools, vlans, bridges, schemes, default_scheme
        )

    def scheme(self, frame_pk: int):
        return self.schemes.get(frame_pk, self.default_scheme)

    def vios(self, pk: int) -> Lpar | None:
        """A VIOS of the loaded frames by pk (None: not one of them)."""
        return next((v for found in self.vioses.values() for v in found if v.pk == pk), None)

    def slots_taken(self, vios: Lpar, *, claimed: Iterable[int] = (), lpar: Lpar | None = None):
        """Slots of the VIOS that are used, reserved, or promised to other migrations; an
        adapter already serving `lpar` does not count (it is the one the migration will use)."""
        taken = self.used_slots.get(vios.pk, set()) | set(claimed)
        if lpar is not None:
            taken -= self.serving.get((vios.pk, lpar.pk), set())
        return taken

    def lpar_id_taken(self, frame: Frame, lpar_id: int, lpar: Lpar) -> bool:
        return self.lpar_ids.get(frame.pk, {}).get(lpar_id, lpar.pk) != lpar.pk


def _vlans_of(adapters, *columns: str) -> list[tuple]:
    """(`columns`…, VLAN) for each VLAN of the adapters: their PVID and tagged VLANs."""
    rows = list(adapters.values_list(*columns, "pvid_id"))
    tagged = VirtualAdapter.vlans.through.objects.filter(virtualadapter__in=adapters)
    rows += tagged.values_list(*(f"virtualadapter__{c}" for c in columns), "vlan__vlan_id")
    return [row for row in rows if row[-1] is not None]


def _msp_choice(vioses: list[Lpar], running_by_vios: Mapping[int, int]) -> Lpar | None:
    """The mover service partition with the most memory (the migration's buffers come out of
    the MSP's memory; the inventory does not hold its free memory), then the least busy."""
    return min(
        (v for v in vioses if v.msp),
        key=lambda v: (-v.memory_mb, running_by_vios.get(v.pk, 0), v.lpar_id),
        default=None,
    )


def _free_slot(
    facts: OptionFacts, vios: Lpar, kind: str, wanted: int | None, taken: set[int]
) -> int | None:
    """The wanted slot when the VIOS has it free, else the lowest free one of the kind's range."""
    if wanted is not None and wanted not in taken:
        return wanted
    scheme = facts.scheme(vios.frame_id)
    first, last = scheme.slot_range(kind) if scheme else (SLOT_MIN, SLOT_CEILING - 1)
    return next((s for s in range(first, min(last, SLOT_CEILING - 1) + 1) if s not in taken), None)


def migration_proposal(
    *,
    lpar: Lpar,
    destination: Frame,
    facts: OptionFacts,
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
    vioses = facts.vioses.get(destination.pk, [])
    by_id = {v.lpar_id: v for v in vioses}
    taken: dict[int, set[int]] = {}
    mappings = []
    for client in facts.clients.get(lpar.pk, []):
        vios = by_id.get(client.vios_lpar_id) if client.vios else None
        vios = vios or (vioses[0] if vioses else None)
        if vios is None:
            continue
        if vios.pk not in taken:
            taken[vios.pk] = facts.slots_taken(vios, claimed=claimed_slots.get(vios.pk, ()))
        slot = _free_slot(facts, vios, client.kind, client.remote_slot, taken[vios.pk])
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
                source_vios_name=client.vios_name or "",
                source_vios_slot=client.remote_slot,
            )
        )
    pool = ""
    if lpar.proc_mode == ProcMode.SHARED:
        pool = lpar.shared_pool.name if lpar.shared_pool_id else "DefaultPool"
    # The LPAR keeps its id where it is free; where it is taken (a pre-flight warning) the HMC
    # picks one, as it would.
    id_taken = lpar.lpar_id in claimed_lpar_ids or facts.lpar_id_taken(
        destination, lpar.lpar_id, lpar
    )
    return MigrationOptions(
        source_msp=_msp_choice(facts.vioses.get(lpar.frame_id, []), running_by_vios),
        dest_msp=_msp_choice(vioses, running_by_vios),
        storage_mappings=mappings,
        vlan_bridges=vlan_bridges(lpar=lpar, destination=destination, facts=facts),
        shared_pool_name=pool,
        dest_lpar_id=None if id_taken else lpar.lpar_id,
    )


def vlan_bridges(*, lpar: Lpar, destination: Frame, facts: OptionFacts) -> list[VlanBridge]:
    """Each VLAN the LPAR uses, with the destination VIOS whose trunk adapter carries it."""
    bridges = facts.bridges.get(destination.pk, {})
    return [
        VlanBridge(
            vlan=vlan,
            vios=bridges[vlan].pk if vlan in bridges else None,
            vios_name=bridges[vlan].name if vlan in bridges else "",
        )
        for vlan in sorted(facts.vlans.get(lpar.pk, ()))
    ]


def _lpar_of(value: Lpar | int | None, facts: OptionFacts) -> Lpar | None:
    if value is None or isinstance(value, Lpar):
        return value
    return (
        facts.vios(value)
        or Lpar.objects.filter(pk=value).first()
        or Lpar(pk=value, name=f"#{value}")
    )


def options_resolve(
    *,
    lpar: Lpar,
    destination: Frame,
    proposal: MigrationOptions,
    given: Mapping[str, Any],
    facts: OptionFacts,
) -> MigrationOptions:
    """The proposal with what the caller chose laid over it. `storage_mappings` replace the
    proposed ones slot by slot: each is `{"client_slot", "vios" (an Lpar or its id),
    "vios_slot"}`."""
    options = replace(proposal)
    names = (
        "shared_pool_name",
        "wait_minutes",
        "dest_profile_name",
        "dest_lpar_id",
        *MIGRLPAR_FLAGS,
    )
    for name in names:
        if name in given:
            value = given[name]
            if name in MIGRLPAR_FLAGS and name != "detail_level":
                value = "" if value is None else str(value)
            setattr(options, name, value)
    for name in ("source_msp", "dest_msp"):
        if name in given:
            setattr(options, name, _lpar_of(given[name], facts))
    if given.get("storage_mappings") is not None:
        clients = {a.slot: a for a in facts.clients.get(lpar.pk, [])}
        chosen = {m.client_slot: m for m in proposal.storage_mappings}
        for raw in given["storage_mappings"]:
            client = clients.get(raw.get("client_slot"))
            vios = _lpar_of(raw.get("vios"), facts)
            if client is None or vios is None:
                raise ValidationError(
                    {
                        "storage_mappings": f"{lpar.name} has no vSCSI or vFC client in slot "
                        f"{raw.get('client_slot')}."
                        if client is None
                        else "Name the VIOS."
                    }
                )
            chosen[client.slot] = StorageMapping(
                kind=client.kind,
                client_slot=client.slot,
                vios=vios.pk,
                vios_name=vios.name,
                vios_id=vios.lpar_id or 0,
                vios_slot=raw.get("vios_slot") or 0,
                source_vios_name=client.vios_name or "",
                source_vios_slot=client.remote_slot,
                fc_port=raw.get("fc_port") or "",
            )
        options.storage_mappings = [chosen[slot] for slot in sorted(chosen)]
    return options


def options_errors(
    *,
    lpar: Lpar,
    destination: Frame,
    options: MigrationOptions,
    facts: OptionFacts,
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
            add(
                name,
                f"{msp.name} is not a mover service partition of the {side} frame {frame.name}.",
            )
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
        elif facts.lpar_id_taken(destination, options.dest_lpar_id, lpar):
            add("dest_lpar_id", f"LPAR id {options.dest_lpar_id} is in use on {destination.name}.")
        elif options.dest_lpar_id in claimed_lpar_ids:
            add(
                "dest_lpar_id",
                f"LPAR id {options.dest_lpar_id} is promised on "
                f"{destination.name} to another migration in progress.",
            )
    if lpar.proc_mode == ProcMode.SHARED:
        if not options.shared_pool_name:
            add(
                "shared_pool_name",
                "Name the destination shared processor pool: it is always "
                "sent, never left to the HMC's default.",
            )
        elif options.shared_pool_name not in facts.pools.get(destination.pk, ()):
            add(
                "shared_pool_name",
                f"{destination.name} has no shared processor pool named "
                f"{options.shared_pool_name}.",
            )
    _flag_errors(lpar, options, add)
    _storage_errors(lpar, destination, options, facts, claimed_slots or {}, add)
    return errors


def _flag_errors(lpar: Lpar, options: MigrationOptions, add) -> None:
    """migrlpar options: values the HMC takes, and only options the HMC's level knows."""
    hmc = lpar.frame.hmc if lpar.frame.hmc_id else None
    supported = migrlpar_flags_supported(hmc)
    for name, (option, since) in MIGRLPAR_FLAGS.items():
        value = getattr(options, name)
        if value in (None, ""):
            continue
        if str(value) not in commands.MIGRLPAR_FLAG_VALUES[option]:
            allowed = ", ".join(commands.MIGRLPAR_FLAG_VALUES[option])
            add(name, f"{option} takes {allowed}.")
        elif name not in supported:
            level = "V{}R{} M{}".format(*since)
            add(
                name,
                f"HMC {hmc} ({hmc.version}) has no migrlpar {option}: it needs {level} or later.",
            )


def _storage_errors(lpar, destination, options, facts, claimed_slots, add) -> None:
    clients = {a.slot: a for a in facts.clients.get(lpar.pk, [])}
    mapped = {m.client_slot: m for m in options.storage_mappings}
    for slot in sorted(set(clients) - set(mapped)):
        add("storage_mappings", f"Choose the destination VIOS and slot for client slot {slot}.")
    vioses = {v.pk: v for v in facts.vioses.get(destination.pk, [])}
    seen: set[tuple[int, int]] = set()
    taken: dict[int, set[int]] = {}
    for mapping in options.storage_mappings:
        vios = vioses.get(mapping.vios)
        label = f"Client slot {mapping.client_slot}"
        if vios is None:
            add(
                "storage_mappings",
                f"{label}: {mapping.vios_name} is not a VIOS of {destination.name}.",
            )
            continue
        if mapping.fc_port and (
            mapping.kind != VirtualAdapterKind.VFC or not FC_PORT.fullmatch(mapping.fc_port)
        ):
            add(
                "storage_mappings",
                f"{label}: a destination physical port is named like fcs0, "
                "and only for a vFC client.",
            )
        if not SLOT_MIN <= mapping.vios_slot < SLOT_CEILING:
            add(
                "storage_mappings",
                f"{label}: VIOS slots are numbered {SLOT_MIN} to {SLOT_CEILING - 1}.",
            )
            continue
        if vios.pk not in taken:
            taken[vios.pk] = facts.slots_taken(
                vios, claimed=claimed_slots.get(vios.pk, ()), lpar=lpar
            )
        if (vios.pk, mapping.vios_slot) in seen or mapping.vios_slot in taken[vios.pk]:
            add(
                "storage_mappings",
                f"{label}: slot {mapping.vios_slot} of {vios.name} is already in use.",
            )
        seen.add((vios.pk, mapping.vios_slot))


def migrlpar_arguments(job, operation: str) -> dict[str, Any]:
    """The keyword arguments of `commands.migrlpar` for a job (saved or not) and an operation."""
    arguments: dict[str, Any] = {
        "operation": operation,
        "source": job.source_frame.name,
        "lpar": job.lpar_name,
    }
    if operation in ("v", "m"):
        arguments["destination"] = job.destination_frame.name
        arguments["profile"] = job.dest_profile_name or None
        arguments["attributes"] = migration_attributes(job)
        remote = remote_hmc_of(job)
        if remote is not None:
            # Stop and recover run on the source HMC about its own partition (§1.1): only
            # validate and migrate name the destination's HMC.
            arguments["remote_hmc"], arguments["remote_user"] = remote.host, remote.username
        for name in MIGRLPAR_FLAGS:
            arguments[name] = getattr(job, name)
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
