"""Discovery: read everything an HMC knows about its frames, frame by frame, then reconcile it
with the plan by natural keys. What the plan lacks is added, as the HMC reports it (planning
rules do not refuse facts; the estate checks show where they break one); what differs or is
missing waits, as drift items, for a planner to accept or keep: nothing the planner entered is
overwritten silently. A frame that cannot be read or taken is skipped with its reason."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models, transaction

from inventory.choices import (
    AdapterKind,
    FrameState,
    LparKind,
    LparState,
    ProcessorGeneration,
    ProcMode,
    VirtualAdapterKind,
    VirtualAdapterRole,
)
from inventory.identifiers import wwpn_normalize
from inventory.models import (
    Adapter,
    Drawer,
    Frame,
    Hmc,
    Lpar,
    SharedProcessorPool,
    Slot,
    VirtualAdapter,
    Vlan,
    Wwpn,
)
from inventory.rules import facts_recorded
from inventory.services import (
    object_save,
    objects_bulk_create,
    vfc_wwpns_set,
    virtual_adapter_save,
)
from migrations_app.hmc import codes
from migrations_app.hmc.client import (
    FrameInfo,
    HmcClient,
    HmcVersion,
    IoSlot,
    LparInfo,
    LparResources,
    MemAvailability,
    MigrationLimits,
    ProcAvailability,
    ProfileSlots,
    VirtualEthAdapter,
    VirtualStorageAdapter,
)
from migrations_app.hmc.errors import HmcError
from migrations_app.hmc.parser import int_or_none, value_or_none
from migrations_app.models import DriftItem, HmcSync

# Adapter kind by feature code: never by the description, which follows the HMC's locale.
FEATURE_KINDS = {
    "5735": AdapterKind.FC,
    "5273": AdapterKind.FC,
    "5729": AdapterKind.FC,
    "EN0A": AdapterKind.FC,
    "EN0B": AdapterKind.FC,
    "EN1A": AdapterKind.FC,
    "5767": AdapterKind.ETHERNET,
    "5768": AdapterKind.ETHERNET,
    "5717": AdapterKind.ETHERNET,
    "EN0S": AdapterKind.ETHERNET,
    "EN0W": AdapterKind.ETHERNET,
    "5901": AdapterKind.SAS,
}
EMPTY_FEATURE_CODES = frozenset({"0", ""})
STATE_OF_LABEL = {label: value for value, label in LparState.choices}
FRAME_STATE_OF_LABEL = {label: value for value, label in FrameState.choices}
GENERATIONS = [value for value, _ in ProcessorGeneration.choices]
SLOT_LOCATION = re.compile(r"^P\d+(-[A-Z]\d+)+$")


# A frame's partitions are read only in these states; in any other (No Connection, Incomplete,
# Failed Authentication, Pending Authentication, Error, Recovery …) the frame is skipped.
READABLE_FRAME_STATES = frozenset({"Operating", "Standby", "Power Off"})


@dataclass
class FrameSnapshot:
    """Everything read from the HMC about one frame, before anything is written."""

    info: FrameInfo
    proc: ProcAvailability
    mem: MemAvailability
    lpars: list[LparInfo]
    resources: dict[str, LparResources]
    eth: list[VirtualEthAdapter]
    storage: list[tuple[str, VirtualStorageAdapter]]  # (vscsi|vfc, adapter)
    slots: list[IoSlot] = field(default_factory=list)
    profiles: list[ProfileSlots] = field(default_factory=list)
    limits: MigrationLimits | None = None


@dataclass(frozen=True)
class FrameSkipped:
    """A frame the sync could not read or apply, and why, in words."""

    name: str
    reason: str


@dataclass
class HmcRead:
    """One sync's reading of an HMC: the frames read, the frames skipped, the HMC's level."""

    snapshots: list[FrameSnapshot]
    skipped: list[FrameSkipped]
    version: HmcVersion | None = None


def _optional(read: Callable[..., list], system: str) -> list:
    """A capability the frame lacks answers with an HSCL error: nothing to read, not a crash."""
    try:
        return read(system=system)
    except HmcError as error:
        if error.has_code(*codes.CAPABILITY_MISSING):
            return []
        raise


def _limits(client: HmcClient, system: str) -> MigrationLimits | None:
    """The frame's migration limits; None when the HMC refuses `lslparmigr -r sys` (a frame
    without mobility, an HMC that does not know the command)."""
    try:
        return client.migration_limits(system=system)
    except HmcError:
        return None


def _version(client: HmcClient) -> HmcVersion | None:
    try:
        return client.hmc_version()
    except HmcError:
        return None


def _refusal(error: HmcError) -> str:
    codes_ = ", ".join(error.codes) or f"exit status {error.exit_status}"
    return f"the HMC refused {error.command} ({codes_}): {error.text.strip()[:300]}"


def frame_read(client: HmcClient, info: FrameInfo) -> FrameSnapshot:
    """Every read about one frame; HmcError or a parse error (ValueError, KeyError) when the
    HMC refuses one or prints what this client cannot read."""
    system = info.name
    storage = [("vscsi", a) for a in _optional(client.virtual_scsi_adapters, system)]
    storage += [("vfc", a) for a in _optional(client.virtual_fc_adapters, system)]
    return FrameSnapshot(
        info=info,
        proc=client.proc_availability(system=system),
        mem=client.mem_availability(system=system),
        lpars=client.lpars(system=system),
        resources={r.name: r for r in client.lpar_resources(system=system)},
        eth=_optional(client.virtual_eth_adapters, system),
        storage=storage,
        slots=_optional(client.io_slots, system),
        profiles=_optional(client.profile_slots, system),
        limits=_limits(client, system),
    )


def hmc_read(client: HmcClient, progress: Callable[[int, str], None]) -> HmcRead:
    """Read the HMC frame by frame. A frame whose state does not let its partitions be read, or
    whose reads fail, is skipped with its reason; the others are read. A lost connection
    (HmcConnectionError) ends the whole read."""
    version = _version(client)
    frames = client.frames()
    read = HmcRead(snapshots=[], skipped=[], version=version)
    for index, info in enumerate(frames):
        progress(5 + 70 * index // max(len(frames), 1), f"Reading frame {info.name}")
        if info.state not in READABLE_FRAME_STATES:
            reason = f"the frame is in state {info.state or 'unknown'}: its partitions are not read"
            read.skipped.append(FrameSkipped(info.name, reason))
            continue
        try:
            read.snapshots.append(frame_read(client, info))
        except HmcError as error:
            read.skipped.append(FrameSkipped(info.name, _refusal(error)))
        except (ValueError, KeyError, InvalidOperation) as error:
            detail = f"missing field {error}" if isinstance(error, KeyError) else str(error)
            reason = f"the HMC printed something this client cannot read: {detail}"
            read.skipped.append(FrameSkipped(info.name, reason))
    return read


def _same(plan, hmc) -> bool:
    if isinstance(plan, str) and isinstance(hmc, str):
        try:
            return Decimal(plan) == Decimal(hmc)
        except InvalidOperation:
            return plan == hmc
    return plan == hmc


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def _kind_of(info: LparInfo) -> str:
    """The LPAR's kind from its environment, then `os_type`, else the first word of
    `os_version` (older HMCs print no `os_type`)."""
    if info.env == "vioserver":
        return LparKind.VIOS
    if info.env == "os400":
        return LparKind.IBMI
    os_name = (info.os_type or info.os_version or "").strip().lower()
    if os_name.startswith("linux"):
        return LparKind.LINUX
    if os_name.startswith("ibm i"):
        return LparKind.IBMI
    return LparKind.AIX


# Machine types (and type-models) whose processor generation is known, for frames whose
# `lpar_proc_compat_modes` names no generation (verify: extend as estates show more).
GENERATION_OF_TYPE = {
    "8202": "POWER7",
    "8205": "POWER7",
    "8231": "POWER7",
    "8233": "POWER7",
    "9117": "POWER7",
    "9179": "POWER7",
    "8246": "POWER7",
    "8284": "POWER8",
    "8286": "POWER8",
    "8247": "POWER8",
    "8408": "POWER8",
    "9119-MHE": "POWER8",
    "9119-MME": "POWER8",
    "9080-MHE": "POWER8",
    "9080-MME": "POWER8",
    "9009": "POWER9",
    "9223": "POWER9",
    "9040": "POWER9",
    "9080-M9S": "POWER9",
    "9105": "Power10",
    "9080-HEX": "Power10",
    "9043": "Power10",
    "9786": "Power10",
}
MODE_GENERATION = re.compile(r"power(\d+)", re.IGNORECASE)


def _generation(info: FrameInfo) -> str | None:
    """The frame's processor generation: the newest generation among the compatibility modes
    it accepts (`POWER8`, `POWER9_base`, `Power10` …), else known from its type-model; None
    when neither tells."""
    found = []
    for mode in info.compat_modes:
        match = MODE_GENERATION.match(mode.strip())
        if match:
            number = int(match.group(1))
            value = f"POWER{number}" if number < 10 else f"Power{number}"
            if value in GENERATIONS:
                found.append(value)
    if found:
        return max(found, key=GENERATIONS.index)
    return GENERATION_OF_TYPE.get(
        f"{info.machine_type}-{info.model}", GENERATION_OF_TYPE.get(info.machine_type)
    )


def size_of_resources(res: LparResources | None) -> dict[str, object]:
    """A partition's size from its current values (`lshwres --level lpar`): for partitions that
    run; a Not Activated one prints zeros there."""
    if res is None:
        return {}
    dedicated = res.proc_mode == "ded"
    return {
        "proc_mode": ProcMode.DEDICATED if dedicated else ProcMode.SHARED,
        "proc_units": Decimal(res.procs) if dedicated else res.proc_units,
        "virtual_procs": res.procs,
        "memory_mb": res.memory_mb,
        "shared_pool": None if dedicated else res.shared_pool,
    }


def size_of_profile(profile: ProfileSlots) -> dict[str, object]:
    """A Not Activated partition's size: its profile's desired values (only those printed)."""
    dedicated = profile.proc_mode == "ded"
    procs = int_or_none(profile.desired_procs)
    size: dict[str, object] = {
        "proc_mode": ProcMode.DEDICATED if dedicated else ProcMode.SHARED,
        "shared_pool": None if dedicated else profile.shared_pool,
    }
    if procs is not None:
        size["virtual_procs"] = procs
    if dedicated and procs is not None:
        size["proc_units"] = Decimal(procs)
    elif not dedicated and value_or_none(profile.desired_proc_units) is not None:
        size["proc_units"] = Decimal(profile.desired_proc_units)
    memory = int_or_none(profile.desired_mem)
    if memory is not None:
        size["memory_mb"] = memory
    return size


def profile_of(info: LparInfo, profiles: Sequence[ProfileSlots]) -> ProfileSlots | None:
    """The profile whose max_virtual_slots the plan holds: the one the partition runs with
    (`curr_profile`), else its default profile, else its only one; None when it has several and
    the HMC names none of them."""
    by_name = {profile.name: profile for profile in profiles}
    for name in (info.profile, info.default_profile):
        if name in by_name:
            return by_name[name]
    return profiles[0] if len(profiles) == 1 else None


def max_virtual_slots_of(profile: ProfileSlots) -> int:
    """The profile's max_virtual_slots as the plan stores it; ValidationError naming the profile
    and the rule when the HMC printed something the plan cannot take."""
    raw = profile.max_virtual_slots
    try:
        value = int(raw or "")
    except ValueError:
        message = f"Profile {profile.name}: max_virtual_slots “{raw}” is not a whole number."
        raise ValidationError(message) from None
    try:
        Lpar._meta.get_field("max_virtual_slots").run_validators(value)
    except ValidationError as error:
        messages = dict.fromkeys(error.messages)
        raise ValidationError(
            [f"Profile {profile.name}: max_virtual_slots {value}: {m}" for m in messages]
        ) from None
    return value


def wwpn_pair_of(wwpns: Sequence[str]) -> list[str]:
    """A vFC client's WWPN pair as the HMC lists it, canonical; ValidationError naming every
    rule it breaks (16 hex digits each, exactly two, different)."""
    pair, errors = [], []
    for value in wwpns:
        try:
            pair.append(wwpn_normalize(value))
        except ValidationError as error:
            errors += error.messages
    if len(wwpns) != 2:
        listed = ", ".join(wwpns) or "none"
        errors.append(
            f"The HMC lists {len(wwpns)} WWPN(s) ({listed}): a vFC client adapter has exactly two."
        )
    elif not errors and pair[0] == pair[1]:
        errors.append(f"The HMC lists {pair[0]} twice: the two WWPNs of a pair must differ.")
    if errors:
        raise ValidationError(errors)
    return pair


class Reconciler:
    """Applies one HMC's snapshot to the plan inside the caller's transaction. The rows it adds
    are created per frame in batches (`objects_bulk_create`): one query per row per rule would
    make a large HMC's first sync take minutes."""

    def __init__(self, *, sync: HmcSync) -> None:
        self.sync = sync
        self.hmc: Hmc = sync.hmc
        self.items: list[DriftItem] = []
        self.vlans = {vlan.vlan_id: vlan for vlan in Vlan.objects.all()}

    def add(self, new: list[tuple[models.Model, str]]) -> list[models.Model]:
        """Create the new rows, noting each as added or, when a rule refuses it, as a conflict;
        the rows created, in order."""
        created, refused = objects_bulk_create(instances=[obj for obj, _ in new])
        why = {id(obj): error for obj, error in refused}
        for obj, label in new:
            if id(obj) in why:
                self.note(DriftItem.Kind.CONFLICT, None, label, hmc_value=why[id(obj)].messages)
            else:
                self.note(DriftItem.Kind.ADDED, obj, label)
        return created

    def vlan(self, vlan_id: int) -> Vlan:
        if vlan_id not in self.vlans:
            self.vlans[vlan_id] = object_save(instance=Vlan(vlan_id=vlan_id))
        return self.vlans[vlan_id]

    def note(self, kind: str, obj: models.Model | None, label: str, **values) -> None:
        resolution = DriftItem.Resolution.APPLIED if kind == DriftItem.Kind.ADDED else ""
        self.items.append(
            DriftItem(
                sync=self.sync,
                kind=kind,
                model=obj._meta.model_name if obj else "",
                object_id=obj.pk if obj else None,
                label=label[:255],
                resolution=resolution or DriftItem.Resolution.PENDING,
                **values,
            )
        )

    def compare(self, obj: models.Model, label: str, wanted: dict[str, object]) -> None:
        for name, hmc_value in wanted.items():
            plan_value = _json(plan_value_of(obj, name))
            hmc_value = _json(hmc_value)
            if not _same(plan_value, hmc_value):
                self.note(
                    DriftItem.Kind.DIFFERS,
                    obj,
                    label,
                    field=name,
                    plan_value=plan_value,
                    hmc_value=hmc_value,
                )

    def run(self, snapshots: list[FrameSnapshot]) -> tuple[list[DriftItem], list[FrameSkipped]]:
        """Apply each frame in a savepoint of its own: a frame the plan cannot take (a rule the
        database holds for every row) is skipped with the reason, the others are applied. What
        the HMC reports is recorded as it is: planning rules do not refuse it."""
        skipped = []
        for snapshot in snapshots:
            noted, vlans = len(self.items), dict(self.vlans)
            try:
                with transaction.atomic(), facts_recorded():
                    frame = self.frame_apply(snapshot)
                    lpars = self.lpars_apply(frame, snapshot)
                    self.adapters_apply(frame, lpars, snapshot)
                    self.slots_apply(frame, lpars, snapshot)
            except ValidationError as error:
                del self.items[noted:]
                self.vlans = vlans
                reason = "the plan cannot take what the HMC reports: " + "; ".join(error.messages)
                skipped.append(FrameSkipped(snapshot.info.name, reason))
        DriftItem.objects.bulk_create(self.items)
        return self.items, skipped

    def frame_apply(self, s: FrameSnapshot) -> Frame:
        info = s.info
        wanted = {
            "name": info.name,
            "proc_units": s.proc.installed_units,
            "memory_mb": s.mem.installed_mb,
            "memory_region_mb": s.mem.region_mb,
            "compat_modes": list(info.compat_modes),
            "state": FRAME_STATE_OF_LABEL.get(info.state, FrameState.ERROR),
        }
        if s.limits is not None and s.limits.active:
            wanted["max_active_migrations"] = s.limits.active
        generation = _generation(info)
        key = {"machine_type": info.machine_type, "model": info.model, "serial": info.serial}
        frame = Frame.objects.filter(**key).first()
        label = f"{info.machine_type}-{info.model}*{info.serial}"
        if frame is None:
            extra = {"processor_generation": generation} if generation else {}
            frame = object_save(instance=Frame(**key, **wanted, **extra, hmc=self.hmc))
            self.note(DriftItem.Kind.ADDED, frame, f"frame {info.name} ({label})")
        else:
            if generation:
                wanted["processor_generation"] = generation
            self.compare(frame, f"frame {frame.name}", wanted)
        return frame

    def _pool(
        self, frame: Frame, pools: dict[str, SharedProcessorPool], name: str | None
    ) -> SharedProcessorPool | None:
        if not name:
            return None
        if name not in pools:
            used = {pool.pool_id for pool in pools.values()}
            pool_id = 0 if name == "DefaultPool" else min(set(range(1, 64)) - used)
            pools[name] = object_save(
                instance=SharedProcessorPool(frame=frame, pool_id=pool_id, name=name)
            )
            self.note(DriftItem.Kind.ADDED, pools[name], f"shared pool {frame.name}/{name}")
        return pools[name]

    def lpars_apply(self, frame: Frame, s: FrameSnapshot) -> dict[int, Lpar]:
        plan = {lpar.lpar_id: lpar for lpar in frame.lpars.select_related("shared_pool")}
        pools = {pool.name: pool for pool in frame.shared_pools.all()}
        seen: dict[int, Lpar] = {}
        new: list[tuple[Lpar, str]] = []
        elsewhere = self._lpars_elsewhere(frame, [i for i in s.lpars if i.lpar_id not in plan])
        profiles: dict[str, list[ProfileSlots]] = {}
        for profile in s.profiles:
            profiles.setdefault(profile.lpar_name, []).append(profile)
        for info in s.lpars:
            state = STATE_OF_LABEL.get(info.state, LparState.ERROR)
            profile = profile_of(info, profiles.get(info.name, []))
            wanted = {
                "name": info.name,
                "kind": _kind_of(info),
                "state": state,
                "msp": info.msp,
                "compat_mode": info.compat_mode or "default",
                "profile_name": info.profile or (profile.name if profile else ""),
            }
            if state == LparState.NOT_ACTIVATED and profile is not None:
                wanted.update(size_of_profile(profile))
            else:
                wanted.update(size_of_resources(s.resources.get(info.name)))
            label = f"LPAR {frame.name}/{info.name} (id {info.lpar_id})"
            slots_problem = None
            if profile is not None and profile.max_virtual_slots is not None:
                try:
                    wanted["max_virtual_slots"] = max_virtual_slots_of(profile)
                except ValidationError as error:
                    slots_problem = error.messages
            lpar = plan.get(info.lpar_id)
            if lpar is None and info.env != "vioserver":
                lpar = elsewhere.get((info.lpar_id, info.name))
                if lpar is not None:
                    self.note(
                        DriftItem.Kind.DIFFERS,
                        lpar,
                        label,
                        field="frame",
                        plan_value=lpar.frame.name,
                        hmc_value=frame.name,
                    )
            if slots_problem:
                self.note(
                    DriftItem.Kind.CONFLICT,
                    lpar,
                    label,
                    field="max_virtual_slots",
                    plan_value=lpar.max_virtual_slots if lpar else None,
                    hmc_value=slots_problem,
                )
            if lpar is None:
                pool = self._pool(frame, pools, wanted.get("shared_pool"))
                new.append(
                    (
                        Lpar(frame=frame, lpar_id=info.lpar_id, **wanted | {"shared_pool": pool}),
                        label,
                    )
                )
                continue
            self.compare(lpar, label, wanted)
            seen[info.lpar_id] = lpar
        seen.update((lpar.lpar_id, lpar) for lpar in self.add(new))
        for lpar_id, lpar in plan.items():
            if lpar_id not in seen:
                label = f"LPAR {frame.name}/{lpar.name} (id {lpar_id})"
                self.note(DriftItem.Kind.MISSING_ON_HMC, lpar, label)
        return seen

    def _lpars_elsewhere(self, frame: Frame, infos: list[LparInfo]) -> dict[tuple[int, str], Lpar]:
        """Clients the plan has on another frame (they migrated), by (LPAR id, name): for
        each, a frame difference rather than a new LPAR."""
        clients = [info for info in infos if info.env != "vioserver"]
        found = Lpar.objects.filter(
            lpar_id__in={i.lpar_id for i in clients}, name__in={i.name for i in clients}
        ).exclude(frame=frame)
        found = found.exclude(kind=LparKind.VIOS).select_related("frame")
        return {(lpar.lpar_id, lpar.name): lpar for lpar in found}

    def adapters_apply(self, frame: Frame, lpars: dict[int, Lpar], s: FrameSnapshot) -> None:
        wanted: dict[tuple[int, int], dict] = {}
        for a in s.eth:
            wanted[a.lpar_id, a.slot] = {
                "kind": VirtualAdapterKind.ETHERNET,
                "role": VirtualAdapterRole.TRUNK if a.trunk_priority else VirtualAdapterRole.CLIENT,
                "pvid": a.pvid,
                "vlans": sorted(a.tagged_vlans),
                "vswitch": a.vswitch,
                "trunk_priority": a.trunk_priority,
            }
        bad_pairs: dict[tuple[int, int], list[str]] = {}
        for kind, a in s.storage:
            remote = lpars.get(a.remote_lpar_id or 0)
            values = {
                "kind": kind,
                "role": a.role,
                "remote_lpar": remote.name if remote else None,
                "remote_slot": a.remote_slot,
            }
            if VirtualAdapter.vfc_client(kind, a.role):
                try:
                    values["wwpns"] = wwpn_pair_of(a.wwpns)
                except ValidationError as error:
                    bad_pairs[a.lpar_id, a.slot] = error.messages
            wanted[a.lpar_id, a.slot] = values
        plan = {
            (a.lpar.lpar_id, a.slot): a
            for a in VirtualAdapter.objects.filter(lpar__in=lpars.values())
            .select_related("lpar", "remote_lpar")
            .prefetch_related("vlans", "wwpns")
        }
        by_name = {lpar.name: lpar for lpar in lpars.values()}
        taken = set(
            Wwpn.objects.filter(
                value__in=[w for values in wanted.values() for w in values.get("wwpns", [])]
            ).values_list("value", flat=True)
        )
        new: list[tuple[VirtualAdapter, str]] = []
        pairs: dict[int, tuple[list[Vlan], list[str]]] = {}
        for key, values in wanted.items():
            lpar = lpars.get(key[0])
            if lpar is None:
                continue
            label = f"{lpar.name} slot {key[1]} ({values['kind']})"
            adapter = plan.get(key)
            if key in bad_pairs:
                self.note(
                    DriftItem.Kind.CONFLICT,
                    adapter,
                    label,
                    field="wwpns",
                    plan_value=plan_value_of(adapter, "wwpns") if adapter else None,
                    hmc_value=bad_pairs[key],
                )
                if adapter is None:
                    continue
            if adapter is not None:
                self.compare(adapter, label, values)
                continue
            adapter = self._adapter_new(lpar, key[1], values, by_name, taken, label)
            if adapter is not None:
                new.append((adapter, label))
                vlans = [self.vlan(v) for v in values.get("vlans", [])]
                pairs[id(adapter)] = (vlans, values.get("wwpns", []))
        created = self.add(new)
        wwpns = []
        for adapter in created:
            vlans, pair = pairs[id(adapter)]
            if vlans:
                adapter.vlans.set(vlans)
            wwpns += [
                Wwpn(virtual_adapter=adapter, value=value, position=position)
                for position, value in enumerate(pair, start=1)
            ]
        _, refused = objects_bulk_create(instances=wwpns)
        if refused:
            raise ValidationError([f"WWPN {row.value}: {e.messages}" for row, e in refused])
        for key, adapter in plan.items():
            if key not in wanted:
                label = f"{adapter.lpar.name} slot {adapter.slot} ({adapter.kind})"
                self.note(DriftItem.Kind.MISSING_ON_HMC, adapter, label)

    def _adapter_new(
        self,
        lpar: Lpar,
        slot: int,
        values: dict,
        by_name: dict[str, Lpar],
        taken: set[str],
        label: str,
    ) -> VirtualAdapter | None:
        """The adapter to add, or None with a conflict noted when its WWPN pair (already checked
        by `wwpn_pair_of`) is in use elsewhere in the estate."""
        fields = {k: v for k, v in values.items() if k not in {"vlans", "wwpns"}}
        fields["remote_lpar"] = by_name.get(fields.get("remote_lpar") or "")
        if "pvid" in fields:
            fields["pvid"] = self.vlan(fields["pvid"])
        pair = values.get("wwpns")
        if pair is None:
            return VirtualAdapter(lpar=lpar, slot=slot, **fields)
        in_use = [w for w in pair if w in taken]
        if in_use:
            self.note(DriftItem.Kind.CONFLICT, None, label, hmc_value={"wwpns_in_use": in_use})
            return None
        taken.update(pair)
        return VirtualAdapter(lpar=lpar, slot=slot, **fields)

    def slots_apply(self, frame: Frame, lpars: dict[int, Lpar], s: FrameSnapshot) -> None:
        drawers = {d.location: d for d in frame.drawers.all()}
        plan = {
            (slot.drawer.location, slot.location): slot
            for slot in Slot.objects.filter(drawer__frame=frame).select_related(
                "drawer", "adapter__owner"
            )
        }
        known: list[tuple[Slot, IoSlot, str]] = []
        new: list[tuple[Slot, str]] = []
        read: dict[int, IoSlot] = {}
        for io in s.slots:
            location = io.drc_name.removeprefix(io.unit_location + "-")
            if not SLOT_LOCATION.match(location) or not io.unit_location:
                continue
            drawer = drawers.get(io.unit_location)
            if drawer is None:
                drawer = object_save(instance=Drawer(frame=frame, location=io.unit_location))
                drawers[io.unit_location] = drawer
                self.note(DriftItem.Kind.ADDED, drawer, f"drawer {io.unit_location}")
            slot = plan.get((io.unit_location, location))
            label = f"slot {io.drc_name}"
            if slot is None:
                slot = Slot(drawer=drawer, location=location, bus=io.bus_id, drc_index=io.drc_index)
                new.append((slot, label))
                read[id(slot)] = io
            else:
                self.compare(slot, label, {"drc_index": io.drc_index})
                known.append((slot, io, label))
        cards: list[tuple[Adapter, str]] = []
        for slot, io, label in known:
            self._card_apply(slot, slot.adapter_or_none, io, lpars, label, cards)
        for slot in self.add(new):
            label = f"slot {read[id(slot)].drc_name}"
            self._card_apply(slot, None, read[id(slot)], lpars, label, cards)
        self.add(cards)

    def _card_apply(
        self,
        slot: Slot,
        adapter: Adapter | None,
        io: IoSlot,
        lpars: dict[int, Lpar],
        label: str,
        cards: list[tuple[Adapter, str]],
    ) -> None:
        owner = lpars.get(io.lpar_id or 0)
        # An empty slot prints feature code 0 (or none, which the parse drops): no card.
        features = [code for code in io.feature_codes if code.strip() not in EMPTY_FEATURE_CODES]
        feature = features[0] if features else ""
        if adapter is None and feature:
            adapter = Adapter(
                slot=slot,
                kind=FEATURE_KINDS.get(feature, AdapterKind.OTHER),
                feature_code=feature,
                description=io.description[:128],
                owner=owner,
            )
            cards.append((adapter, f"adapter in {label}"))
        elif adapter is not None:
            wanted = {"owner": owner.name if owner else None}
            if feature:
                wanted["feature_code"] = feature
            self.compare(adapter, f"adapter in {label}", wanted)


def _vlan(vlan_id: int) -> Vlan:
    vlan = Vlan.objects.filter(vlan_id=vlan_id).first()
    return vlan or object_save(instance=Vlan(vlan_id=vlan_id))


def plan_value_of(obj: models.Model, name: str):
    """A field of the plan in the form drift items hold (related rows by name or number)."""
    if name in {"remote_lpar", "owner", "shared_pool"}:
        related = getattr(obj, name)
        return related.name if related else None
    if name == "frame":
        return obj.frame.name
    if name == "pvid":
        return obj.pvid_id
    if name == "vlans":
        return sorted(v.vlan_id for v in obj.vlans.all())
    if name == "wwpns":
        return [w.value for w in sorted(obj.wwpns.all(), key=lambda w: w.position)]
    return getattr(obj, name)


def plan_value_set(obj: models.Model, name: str, value) -> None:
    """Take the HMC's value for one field, through the same validation as every other write."""
    if isinstance(obj, VirtualAdapter) and name in {"vlans", "wwpns"}:
        if name == "vlans":
            virtual_adapter_save(adapter=obj, vlans=[_vlan(v) for v in value])
        else:
            vfc_wwpns_set(adapter=obj, wwpns=value, fabrics=None)
        return
    if name in {"remote_lpar", "owner"}:
        frame = obj.lpar.frame if isinstance(obj, VirtualAdapter) else obj.slot.drawer.frame
        value = Lpar.objects.get(frame=frame, name=value) if value else None
    elif name == "shared_pool":
        value = SharedProcessorPool.objects.filter(frame=obj.frame, name=value).first()
    elif name == "frame":
        value = Frame.objects.get(name=value)
    elif name == "pvid":
        value = _vlan(value) if value else None
    elif isinstance(obj._meta.get_field(name), models.DecimalField):
        value = Decimal(value)
    setattr(obj, name, value)
    if isinstance(obj, VirtualAdapter):
        virtual_adapter_save(adapter=obj)
    else:
        object_save(instance=obj)
