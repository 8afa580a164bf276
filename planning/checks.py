"""Estate checks: every violation of the enumeration scheme and of the wiring rules an LPM needs,
each with its severity, the object, a sentence and a link to fix it.

Each check reads, in a fixed number of queries, only the rows it can find a violation in
(chosen by SQL: `CHECK_ROWS`), as plain values; its rule is written once, over those rows or
over the whole estate alike.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.urls import get_script_prefix, reverse

from inventory.choices import LparKind, VirtualAdapterKind, VirtualAdapterRole
from inventory.models import Frame, Lpar, SharedProcessorPool, VirtualAdapter, Wwpn
from planning.choices import Severity
from planning.models import KIND_LABELS, EnumerationScheme
from planning.selectors import schemes_by_frame
from planning.stubs import twin_slot

STORAGE_KINDS = (VirtualAdapterKind.VSCSI, VirtualAdapterKind.VFC)
FRAMES_LISTED = 5  # frames named in one sentence before "and N more"


@dataclass(frozen=True)
class Violation:
    """One finding: which check, how serious, about what, why, and where to fix it."""

    check: str
    severity: str
    object: str
    object_url: str
    message: str
    fix_url: str


def _chunks(ids: list[int], size: int = 5000) -> Iterator[list[int]]:
    """`ids` a few thousand at a time: an IN list of every id could pass a database's limit
    of parameters a statement."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _url(name: str, pk: int) -> str:
    prefix = _PREFIX.get() or get_script_prefix()
    return _url_of_pk(name, prefix).replace(_PK, str(pk), 1)


# The script prefix for the check running now: read once a check run, not once a finding (it
# is a thread-local of asgiref's, and a refresh can link tens of thousands of findings).
_PREFIX: ContextVar[str | None] = ContextVar("checks_script_prefix", default=None)


_PK = "9182736450"  # stands for the pk in a reversed URL (no URL of ours holds these digits)


@lru_cache(maxsize=32)
def _url_of_pk(name: str, prefix: str) -> str:
    # Reversing costs tens of microseconds; a refresh can link tens of thousands of findings.
    # The script prefix is part of the key: it is what reverse() puts in front.
    return reverse(name, args=[int(_PK)])


def _lpar_url(pk: int) -> str:
    return _url("inventory:lpar-detail", pk)


def _adapter_edit_url(pk: int) -> str:
    return _url("inventory:virtualadapter-edit", pk)


def _names(names: list[str]) -> str:
    shown = ", ".join(sorted(names)[:FRAMES_LISTED])
    rest = len(names) - FRAMES_LISTED
    return f"{shown} and {rest} more" if rest > 0 else shown


LPAR_FIELDS = (
    "id",
    "name",
    "frame_id",
    "lpar_id",
    "kind",
    "proc_mode",
    "proc_units",
    "virtual_procs",
    "memory_mb",
    "compat_mode",
    "shared_pool__name",
    "stub_of_id",
)
ADAPTER_FIELDS = (
    "id",
    "lpar_id",
    "kind",
    "role",
    "slot",
    "remote_lpar_id",
    "remote_slot",
    "pvid_id",
    "vswitch",
)
WWPN_FIELDS = ("id", "value", "fabric_id", "virtual_adapter_id")


@dataclass
class Estate:
    """The estate as plain rows, indexed the ways the checks look things up: the whole estate
    (`load()`), or only the rows one check can find a violation in (`CHECK_ROWS`)."""

    frames: dict[int, dict]
    named_schemes: dict[int, EnumerationScheme]
    default_scheme: EnumerationScheme | None
    pools: dict[int, set[str]]
    lpars: dict[int, dict] = field(default_factory=dict)
    adapters: list[dict] = field(default_factory=list)
    vlans: dict[int, set[int]] = field(default_factory=dict)  # adapter id → tagged VLAN ids
    wwpns: dict[int, list[dict]] = field(default_factory=dict)  # adapter id → its WWPN rows
    unassigned_wwpns: list[dict] = field(default_factory=list)
    by_slot: dict[tuple[int, int], dict] = field(default_factory=dict)
    by_lpar: dict[int, list[dict]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def frames_only(cls) -> "Estate":
        """Frames, schemes and shared pools (a few rows a frame); no LPAR, no adapter yet."""
        named, default = schemes_by_frame()
        pools: dict[int, set[str]] = defaultdict(set)
        for frame_id, name in SharedProcessorPool.objects.values_list("frame_id", "name"):
            pools[frame_id].add(name)
        frames = {f["id"]: f for f in Frame.objects.values("id", "name", "hmc_id")}
        return cls(frames=frames, named_schemes=named, default_scheme=default, pools=pools)

    def frames_alone(self) -> "Estate":
        """The same frames, schemes and pools, without LPARs and adapters."""
        return Estate(self.frames, self.named_schemes, self.default_scheme, self.pools)

    @classmethod
    def load(cls, *, lpar_ids: list[int] | None = None) -> "Estate":
        """The whole estate, or only the rows of the LPARs `lpar_ids` (and every frame)."""
        only = (lambda **lookup: Q(**lookup)) if lpar_ids is not None else (lambda **_: Q())
        estate = cls.frames_only()
        estate.lpars_add(Lpar.objects.filter(only(id__in=lpar_ids)))
        adapters = VirtualAdapter.objects.filter(only(lpar_id__in=lpar_ids))
        estate._adapters_index(list(adapters.values(*ADAPTER_FIELDS)), listed=True)
        estate._vlans_add(
            VirtualAdapter.vlans.through.objects.filter(only(virtualadapter__lpar_id__in=lpar_ids))
        )
        estate.wwpns_add(Wwpn.objects.filter(only(virtual_adapter__lpar_id__in=lpar_ids)))
        estate._disks_add(VirtualAdapter.objects.filter(only(lpar_id__in=lpar_ids)))
        return estate

    def lpars_add(self, lpars: QuerySet) -> None:
        """Read the rows of `lpars`, in the LPARs' order."""
        for row in lpars.values(*LPAR_FIELDS):
            self.lpars[row["id"]] = row

    def lpars_fetch(self, ids: Iterable[int | None]) -> None:
        """Read the LPARs `ids` not read yet (for labels and names: in no particular order)."""
        missing = sorted({i for i in ids if i is not None} - self.lpars.keys())
        for chunk in _chunks(missing):
            self.lpars_add(Lpar.objects.filter(id__in=chunk).order_by())

    def adapters_add(
        self,
        adapters: QuerySet,
        *,
        listed: bool = True,
        vlans: bool = False,
        wwpns: bool = False,
        disks: bool = False,
    ) -> list[dict]:
        """Read the rows of `adapters` (in the adapters' order) and the LPARs they name:
        checked (`listed`) or only looked up by slot; with their tagged VLANs, WWPNs and vSCSI
        backing devices if asked."""
        rows = list(adapters.values(*ADAPTER_FIELDS))
        self._adapters_index(rows, listed=listed)
        ids = [row["id"] for row in rows]
        for chunk in _chunks(ids):
            if vlans:
                self._vlans_add(
                    VirtualAdapter.vlans.through.objects.filter(virtualadapter_id__in=chunk)
                )
            if wwpns:
                self.wwpns_add(Wwpn.objects.filter(virtual_adapter_id__in=chunk).order_by())
            if disks:
                self._disks_add(VirtualAdapter.objects.filter(id__in=chunk))
        self.lpars_fetch(row[name] for row in rows for name in ("lpar_id", "remote_lpar_id"))
        return rows

    def _adapters_index(self, rows: list[dict], *, listed: bool) -> None:
        for adapter in rows:
            adapter["backing_devices"] = []
            self.by_slot[adapter["lpar_id"], adapter["slot"]] = adapter
            if listed:
                self.adapters.append(adapter)
                self.by_lpar[adapter["lpar_id"]].append(adapter)

    def _vlans_add(self, through: QuerySet) -> None:
        for adapter_id, vlan_id in through.values_list("virtualadapter_id", "vlan__vlan_id"):
            self.vlans.setdefault(adapter_id, set()).add(vlan_id)

    def _disks_add(self, adapters: QuerySet) -> None:
        # Only vSCSI server adapters map disks: decoding every adapter's JSON would cost more
        # than the rest of the load.
        servers = adapters.filter(
            kind=VirtualAdapterKind.VSCSI, role=VirtualAdapterRole.SERVER
        ).order_by()
        disks = dict(servers.values_list("id", "backing_devices"))
        for adapter in self.by_slot.values():
            adapter["backing_devices"] = disks.get(adapter["id"], adapter["backing_devices"]) or []

    def wwpns_add(self, wwpns: QuerySet) -> None:
        """Read the rows of `wwpns`: by adapter, and those on no fabric."""
        for row in wwpns.values(*WWPN_FIELDS):
            if row["virtual_adapter_id"]:
                self.wwpns.setdefault(row["virtual_adapter_id"], []).append(row)
            if row["fabric_id"] is None:
                self.unassigned_wwpns.append(row)

    def scheme(self, frame_id: int) -> EnumerationScheme | None:
        return self.named_schemes.get(frame_id, self.default_scheme)

    def frame_name(self, lpar: dict) -> str:
        return self.frames[lpar["frame_id"]]["name"]

    def adapter_label(self, adapter: dict) -> str:
        lpar = self.lpars[adapter["lpar_id"]]
        return (
            f"{lpar['name']} ({self.frame_name(lpar)}) {KIND_LABELS[adapter['kind']]} slot "
            + str(adapter["slot"])
        )

    def lpar_label(self, lpar: dict) -> str:
        return f"{lpar['name']} ({self.frame_name(lpar)})"

    def adapter_vlans(self, adapter: dict) -> set[int]:
        return {adapter["pvid_id"], *self.vlans.get(adapter["id"], ())} - {None}


def _adapter_violation(
    estate: Estate, check: str, severity: str, adapter: dict, message: str
) -> Violation:
    return Violation(
        check,
        severity,
        estate.adapter_label(adapter),
        _url("inventory:virtualadapter-detail", adapter["id"]),
        message,
        _adapter_edit_url(adapter["id"]),
    )


def _lpar_violation(
    estate: Estate, check: str, severity: str, lpar: dict, message: str
) -> Violation:
    url = _lpar_url(lpar["id"])
    return Violation(check, severity, estate.lpar_label(lpar), url, message, url)


def check_slot_ranges(estate: Estate) -> Iterator[Violation]:
    """Slots outside their kind's range, or not under the ceiling."""
    for adapter in estate.adapters:
        scheme = estate.scheme(estate.lpars[adapter["lpar_id"]]["frame_id"])
        error = scheme and scheme.slot_error(adapter["kind"], adapter["slot"])
        if error:
            yield _adapter_violation(estate, "slot_range", Severity.ERROR, adapter, error)


def check_lpar_ids(estate: Estate) -> Iterator[Violation]:
    """A client's LPAR id held by another LPAR on another frame: it cannot keep its id there."""
    holders: dict[int, list[dict]] = defaultdict(list)
    for lpar in estate.lpars.values():
        holders[lpar["lpar_id"]].append(lpar)
    for lpar in estate.lpars.values():
        if lpar["kind"] == LparKind.VIOS:
            continue
        others = [o for o in holders[lpar["lpar_id"]] if o["frame_id"] != lpar["frame_id"]]
        if others:
            where = _names([estate.lpar_label(o) for o in others])
            yield _lpar_violation(
                estate,
                "lpar_id_reused",
                Severity.ERROR,
                lpar,
                f"LPAR id {lpar['lpar_id']} is also used by {where}: {lpar['name']} cannot "
                "keep its id when it moves there.",
            )


def check_vios_ids(estate: Estate) -> Iterator[Violation]:
    """A VIOS whose LPAR id is not one of the scheme's VIOS ids."""
    for lpar in estate.lpars.values():
        scheme = estate.scheme(lpar["frame_id"])
        if lpar["kind"] == LparKind.VIOS and scheme and lpar["lpar_id"] not in scheme.vios_lpar_ids:
            ids = " and ".join(str(i) for i in scheme.vios_lpar_ids)
            yield _lpar_violation(
                estate,
                "vios_id",
                Severity.ERROR,
                lpar,
                f"VIOS {lpar['name']} has LPAR id {lpar['lpar_id']}; the scheme gives a VIOS "
                f"LPAR id {ids}.",
            )


def _storage_clients(estate: Estate) -> Iterator[dict]:
    for adapter in estate.adapters:
        if adapter["role"] == VirtualAdapterRole.CLIENT and adapter["kind"] in STORAGE_KINDS:
            yield adapter


def check_vios_side(estate: Estate) -> Iterator[Violation]:
    """Client vSCSI/vFC adapters whose VIOS side is missing or serves another client or slot."""
    for adapter in _storage_clients(estate):
        label = KIND_LABELS[adapter["kind"]]
        remote_id, remote_slot = adapter["remote_lpar_id"], adapter["remote_slot"]
        if remote_id is None:
            message = f"The {label} client adapter names no VIOS."
        else:
            vios = estate.lpars[remote_id]["name"]
            partner = estate.by_slot.get((remote_id, remote_slot))
            if remote_slot is None or partner is None:
                message = f"{vios} has no server adapter in slot {remote_slot or '(none named)'}."
            elif (partner["remote_lpar_id"], partner["remote_slot"]) != (
                adapter["lpar_id"],
                adapter["slot"],
            ):
                other = estate.lpars.get(partner["remote_lpar_id"], {}).get("name", "no LPAR")
                message = (
                    f"{vios} slot {remote_slot} serves {other} slot {partner['remote_slot']}, "
                    "not this adapter."
                )
            else:
                continue
        yield _adapter_violation(estate, "vios_side", Severity.ERROR, adapter, message)


def check_redundancy(estate: Estate) -> Iterator[Violation]:
    """Client LPARs whose storage goes through one VIOS only."""
    vioses: dict[int, set[int]] = defaultdict(set)
    for adapter in _storage_clients(estate):
        vioses[adapter["lpar_id"]].add(adapter["remote_lpar_id"])
    for lpar_id, served_by in vioses.items():
        served_by.discard(None)
        if len(served_by) == 1:
            lpar = estate.lpars[lpar_id]
            vios = estate.lpars[next(iter(served_by))]["name"]
            yield _lpar_violation(
                estate,
                "single_vios",
                Severity.WARNING,
                lpar,
                f"{lpar['name']} reaches its storage through {vios} only: it loses its disks "
                "when that VIOS is down.",
            )


def check_wwpn_pairs(estate: Estate) -> Iterator[Violation]:
    """vFC client adapters without both WWPNs of their pair."""
    for adapter in _storage_clients(estate):
        if adapter["kind"] == VirtualAdapterKind.VFC:
            count = len(estate.wwpns.get(adapter["id"], ()))
            if count < 2:
                yield _adapter_violation(
                    estate,
                    "wwpn_pair",
                    Severity.ERROR,
                    adapter,
                    f"The vFC client adapter has {count} of its 2 WWPNs: the inactive one is "
                    "needed at the destination during LPM.",
                )


def check_wwpn_fabrics(estate: Estate) -> Iterator[Violation]:
    """WWPNs on no fabric: they cannot be zoned."""
    adapters = {a["id"]: a for a in estate.adapters}
    for row in estate.unassigned_wwpns:
        url = _url("inventory:wwpn-detail", row["id"])
        adapter = adapters.get(row["virtual_adapter_id"])
        label = f"WWPN {row['value']}" + (f" of {estate.adapter_label(adapter)}" if adapter else "")
        yield Violation(
            "wwpn_fabric",
            Severity.WARNING,
            label,
            url,
            f"WWPN {row['value']} is on no fabric, so no zoning export includes it.",
            _url("inventory:wwpn-edit", row["id"]),
        )


def check_vlan_bridging(estate: Estate) -> Iterator[Violation]:
    """VLANs an LPAR uses that no VIOS bridges on some frame it may move to (any frame with a
    VIOS)."""
    bridged: dict[int, set[int]] = defaultdict(set)  # VLAN → frames whose VIOS trunks carry it
    used: dict[int, set[int]] = defaultdict(set)  # client LPAR → its VLANs
    for adapter in estate.adapters:
        if adapter["kind"] != VirtualAdapterKind.ETHERNET:
            continue
        lpar = estate.lpars[adapter["lpar_id"]]
        if adapter["role"] == VirtualAdapterRole.TRUNK:
            for vlan in estate.adapter_vlans(adapter):
                bridged[vlan].add(lpar["frame_id"])
        elif lpar["kind"] != LparKind.VIOS:
            used[lpar["id"]] |= estate.adapter_vlans(adapter)
    hosts = {p["frame_id"] for p in estate.lpars.values() if p["kind"] == LparKind.VIOS}
    for lpar_id, vlans in used.items():
        lpar = estate.lpars[lpar_id]
        for vlan in sorted(vlans):
            missing = [estate.frames[f]["name"] for f in hosts - bridged[vlan]]
            if missing:
                yield _lpar_violation(
                    estate,
                    "vlan_bridge",
                    Severity.WARNING,
                    lpar,
                    f"VLAN {vlan} of {lpar['name']} is bridged by no VIOS on "
                    f"{_names(missing)}: it loses that network if it moves there.",
                )


def check_disk_order(estate: Estate) -> Iterator[Violation]:
    """vSCSI backing disks of a client mapped differently on its VIOS."""
    per_client: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for adapter in sorted(estate.adapters, key=lambda a: a["remote_slot"] or 0):
        is_server = adapter["kind"] == VirtualAdapterKind.VSCSI and adapter["role"] == "server"
        if is_server and adapter["remote_lpar_id"] in estate.lpars:
            disks = per_client[adapter["remote_lpar_id"]][adapter["lpar_id"]]
            disks += adapter["backing_devices"] or []
    for client_id, by_vios in per_client.items():
        orders = {tuple(disks) for disks in by_vios.values()}
        if len(by_vios) > 1 and len(orders) > 1:
            lpar = estate.lpars[client_id]
            detail = "; ".join(
                f"{estate.lpars[v]['name']}: {', '.join(d) or 'none'}"
                for v, d in sorted(by_vios.items())
            )
            yield _lpar_violation(
                estate,
                "disk_order",
                Severity.WARNING,
                lpar,
                f"The vSCSI disks of {lpar['name']} are not mapped in the same order on its "
                f"VIOS ({detail}).",
            )


def check_shared_pools(estate: Estate) -> Iterator[Violation]:
    """Frames lacking a shared-pool name their peers (frames of the same HMC) have."""
    peers: dict[int | None, list[int]] = defaultdict(list)
    for frame in estate.frames.values():
        peers[frame["hmc_id"]].append(frame["id"])
    for group in peers.values():
        names = set().union(*(estate.pools[f] for f in group))
        for frame_id in group:
            missing = names - estate.pools[frame_id]
            if missing and len(group) > 1:
                frame = estate.frames[frame_id]
                url = _url("inventory:frame-detail", frame_id)
                yield Violation(
                    "shared_pools",
                    Severity.WARNING,
                    frame["name"],
                    url,
                    f"Frame {frame['name']} has no shared pool named "
                    f"{', '.join(sorted(missing))}, which its peer frames have: LPARs in it "
                    "would land in DefaultPool.",
                    reverse("inventory:sharedprocessorpool-add"),
                )


DRIFT_FIELDS = {
    "proc_mode": "processor mode",
    "proc_units": "processor units",
    "virtual_procs": "virtual processors",
    "memory_mb": "memory (MB)",
    "compat_mode": "compatibility mode",
    "shared_pool__name": "shared pool",
}


def twin_differences(
    estate: Estate, original: dict, twin: dict, scheme: EnumerationScheme
) -> list[str]:
    """Each way the twin no longer matches its original, in a sentence."""
    found = [
        f"{label} is {original[name]} on the original, {twin[name]} on the twin."
        for name, label in DRIFT_FIELDS.items()
        if original[name] != twin[name]
    ]
    expected = {
        twin_slot(scheme, a["kind"], a["slot"]): a
        for a in estate.by_lpar[original["id"]]
        if a["role"] != VirtualAdapterRole.SERVER
    }
    actual = {a["slot"]: a for a in estate.by_lpar[twin["id"]]}
    for slot, adapter in sorted(expected.items()):
        kind = KIND_LABELS[adapter["kind"]]
        mine = actual.get(slot)
        if mine is None or mine["kind"] != adapter["kind"]:
            found.append(
                f"the original's {kind} slot {adapter['slot']} has no twin in slot {slot}."
            )
        elif adapter["kind"] == VirtualAdapterKind.ETHERNET:
            theirs, ours = estate.adapter_vlans(adapter), estate.adapter_vlans(mine)
            if theirs != ours:
                found.append(
                    f"Ethernet slot {slot} carries VLAN {_vlan_list(theirs)} on the original, "
                    f"{_vlan_list(ours)} on the twin."
                )
    for slot, mine in sorted(actual.items()):
        if slot not in expected:
            found.append(
                f"the twin's {KIND_LABELS[mine['kind']]} slot {slot} matches no adapter of the "
                "original."
            )
    return found


def _vlan_list(vlans: set[int]) -> str:
    return ", ".join(map(str, sorted(vlans))) or "none"


def twin_drift(*, twin: Lpar) -> list[str]:
    """How the stub twin differs from its original now (empty: in line)."""
    if not twin.stub_of_id:
        return []
    estate = Estate.load(lpar_ids=[twin.pk, twin.stub_of_id])
    scheme = estate.scheme(twin.frame_id)
    lpars = estate.lpars
    return (
        twin_differences(estate, lpars[twin.stub_of_id], lpars[twin.pk], scheme) if scheme else []
    )


def check_stub_drift(estate: Estate) -> Iterator[Violation]:
    """Stub twins that no longer match their original."""
    for twin in estate.lpars.values():
        original = estate.lpars.get(twin["stub_of_id"])
        if original is None:
            continue
        scheme = estate.scheme(twin["frame_id"])
        if scheme is None:
            continue
        for difference in twin_differences(estate, original, twin, scheme):
            yield Violation(
                "stub_drift",
                Severity.WARNING,
                estate.lpar_label(twin),
                _lpar_url(twin["id"]),
                f"Twin of {original['name']}: {difference}",
                _url("planning:lpar", twin["id"]),
            )


def twin_frame_sharers(estate: Estate) -> Iterator[tuple[dict, dict]]:
    """(twin, the member of its family it shares a frame with) for each stub twin on the frame
    of its original, or of an earlier (by name) twin of the same original."""
    families: dict[int, list[dict]] = defaultdict(list)
    for lpar in estate.lpars.values():
        if lpar["stub_of_id"] in estate.lpars:
            families[lpar["stub_of_id"]].append(lpar)
    for original_id, twins in families.items():
        seen = {estate.lpars[original_id]["frame_id"]: estate.lpars[original_id]}
        for twin in sorted(twins, key=lambda t: t["name"]):
            if twin["frame_id"] in seen:
                yield twin, seen[twin["frame_id"]]
            else:
                seen[twin["frame_id"]] = twin


def twin_unprotected(*, lpar: Lpar) -> dict[int, str]:
    """For the LPAR's twin family (its original and stub twins): twin pk → whom it shares a
    frame with ("its original", or "<name>, another twin of <original>"), for each twin that
    protects nothing."""
    root = lpar.stub_of_id or lpar.pk
    family = [root, *Lpar.objects.filter(stub_of_id=root).values_list("pk", flat=True)]
    if len(family) < 2:
        return {}
    estate = Estate.load(lpar_ids=family)
    original = estate.lpars[root]["name"]
    return {
        twin["id"]: "its original"
        if other["id"] == root
        else f"{other['name']}, another twin of {original}"
        for twin, other in twin_frame_sharers(estate)
    }


def check_twin_frames(estate: Estate) -> Iterator[Violation]:
    """Stub twins on the same frame as their original or as another twin of it: a frame
    failure takes both, so the twin protects nothing."""
    for twin, other in twin_frame_sharers(estate):
        frame = estate.frame_name(twin)
        original = estate.lpars[twin["stub_of_id"]]
        if other is original:
            message = (
                f"{twin['name']} is on {frame} with its original {original['name']}: one frame "
                "failure takes both, so the twin protects nothing."
            )
        else:
            message = (
                f"{twin['name']} is on {frame} with {other['name']}, another twin of "
                f"{original['name']}: one of them protects nothing."
            )
        yield Violation(
            "twin_same_frame",
            Severity.WARNING,
            estate.lpar_label(twin),
            _lpar_url(twin["id"]),
            message,
            reverse("planning:lpar", args=[twin["id"]]),
        )


CHECKS: dict[str, tuple[str, Callable[[Estate], Iterator[Violation]]]] = {
    "slot_range": ("Slots out of range or not under the ceiling", check_slot_ranges),
    "lpar_id_reused": ("LPAR ids reused across frames", check_lpar_ids),
    "vios_id": ("VIOS not on the scheme's ids", check_vios_ids),
    "vios_side": (
        "Client adapters whose VIOS side is missing or points elsewhere",
        check_vios_side,
    ),
    "single_vios": ("Storage through one VIOS only", check_redundancy),
    "wwpn_pair": ("vFC adapters with a missing WWPN", check_wwpn_pairs),
    "wwpn_fabric": ("WWPNs on no fabric", check_wwpn_fabrics),
    "vlan_bridge": ("VLANs not bridged on a frame the LPAR may move to", check_vlan_bridging),
    "disk_order": ("vSCSI disks mapped in different orders", check_disk_order),
    "shared_pools": ("Shared-pool names that differ from the peer frames'", check_shared_pools),
    "stub_drift": ("Stub twins that drifted from their original", check_stub_drift),
    "twin_same_frame": (
        "Stub twins on the frame of their original or of another twin: no protection",
        check_twin_frames,
    ),
}


# Which rows each check can find a violation in, chosen by SQL, so that a refresh reads a few
# rows per violation instead of the whole estate. Each check then runs unchanged on its rows:
# `estate_check()` gives the same violations, in the same order, as running every check on the
# whole estate (`estate_check(estate=Estate.load())`, which the tests compare it with).


def _storage_client_adapters() -> QuerySet:
    return VirtualAdapter.objects.filter(role=VirtualAdapterRole.CLIENT, kind__in=STORAGE_KINDS)


def _rows_slot_range(estate: Estate) -> None:
    """Adapters outside their frame's scheme's range of their kind, or not under its ceiling."""
    schemes: dict[int, tuple[EnumerationScheme, Q]] = {}
    for frame_id, scheme in estate.named_schemes.items():
        frames = schemes.get(scheme.pk, (scheme, Q(pk__in=[])))[1]
        schemes[scheme.pk] = scheme, frames | Q(lpar__frame_id=frame_id)
    where = list(schemes.values())
    if estate.default_scheme:
        where.append((estate.default_scheme, ~Q(lpar__frame_id__in=list(estate.named_schemes))))
    outside = Q(pk__in=[])
    for scheme, frames in where:
        wrong = Q(slot__gte=scheme.slot_ceiling)
        for kind in VirtualAdapterKind.values:
            first, last = scheme.slot_range(kind)
            wrong |= Q(kind=kind) & (Q(slot__lt=first) | Q(slot__gt=last))
        outside |= frames & wrong
    estate.adapters_add(VirtualAdapter.objects.filter(outside))


def _rows_lpar_id_reused(estate: Estate) -> None:
    """Every holder of an LPAR id held on several frames, one of them by a client."""
    reused = (
        Lpar.objects.order_by()
        .values("lpar_id")
        .annotate(
            frames=Count("frame_id", distinct=True),
            clients=Count("id", filter=~Q(kind=LparKind.VIOS)),
        )
        .filter(frames__gt=1, clients__gt=0)
        .values("lpar_id")
    )
    estate.lpars_add(Lpar.objects.filter(lpar_id__in=reused))


def _rows_vios_id(estate: Estate) -> None:
    estate.lpars_add(Lpar.objects.filter(kind=LparKind.VIOS))


def _rows_vios_side(estate: Estate) -> None:
    """Client storage adapters without a server adapter that points back at them, and the
    adapters in the slots they name."""
    pointing_back = VirtualAdapter.objects.filter(
        lpar_id=OuterRef("remote_lpar_id"),
        slot=OuterRef("remote_slot"),
        remote_lpar_id=OuterRef("lpar_id"),
        remote_slot=OuterRef("slot"),
    )
    clients = estate.adapters_add(_storage_client_adapters().filter(~Exists(pointing_back)))
    named = {(a["remote_lpar_id"], a["remote_slot"]) for a in clients}
    vioses = sorted({lpar for lpar, slot in named if lpar is not None and slot is not None})
    slots = sorted({slot for lpar, slot in named if lpar is not None and slot is not None})
    for chunk in _chunks(vioses):
        partners = VirtualAdapter.objects.filter(lpar_id__in=chunk, slot__in=slots).order_by()
        estate.adapters_add(partners, listed=False)


def _rows_single_vios(estate: Estate) -> None:
    """The storage client adapters of LPARs whose storage goes through one VIOS."""
    single = (
        _storage_client_adapters()
        .order_by()
        .values("lpar_id")
        .annotate(vioses=Count("remote_lpar_id", distinct=True))
        .filter(vioses=1)
        .values("lpar_id")
    )
    estate.adapters_add(_storage_client_adapters().filter(lpar_id__in=single))


def _rows_wwpn_pair(estate: Estate) -> None:
    """vFC client adapters with fewer than two WWPNs, and those WWPNs."""
    short = (
        VirtualAdapter.objects.filter(VirtualAdapter.VFC_CLIENT)
        .order_by()
        .annotate(wwpn_count=Count("wwpns"))
        .filter(wwpn_count__lt=2)
        .values("id")
    )
    estate.adapters_add(VirtualAdapter.objects.filter(id__in=short), wwpns=True)


def _rows_wwpn_fabric(estate: Estate) -> None:
    """WWPNs on no fabric, and the adapters they belong to."""
    unassigned = Wwpn.objects.filter(fabric__isnull=True)
    estate.wwpns_add(unassigned)
    ids = sorted({row["virtual_adapter_id"] for row in estate.unassigned_wwpns} - {None})
    for chunk in _chunks(ids):
        estate.adapters_add(VirtualAdapter.objects.filter(id__in=chunk))


def _rows_vlan_bridge(estate: Estate) -> None:
    """Every trunk and VIOS, and the Ethernet adapters of the client LPARs that use a VLAN some
    frame with a VIOS does not bridge."""
    estate.lpars_add(Lpar.objects.filter(kind=LparKind.VIOS))
    trunks = VirtualAdapter.objects.filter(
        kind=VirtualAdapterKind.ETHERNET, role=VirtualAdapterRole.TRUNK
    )
    estate.adapters_add(trunks, vlans=True)
    hosts = {p["frame_id"] for p in estate.lpars.values() if p["kind"] == LparKind.VIOS}
    bridged: dict[int, set[int]] = defaultdict(set)
    for adapter in estate.adapters:
        for vlan in estate.adapter_vlans(adapter):
            bridged[vlan].add(estate.lpars[adapter["lpar_id"]]["frame_id"])
    everywhere = [vlan for vlan, frames in bridged.items() if hosts <= frames]
    tagged = VirtualAdapter.vlans.through.objects.filter(virtualadapter_id=OuterRef("pk"))
    ethernet = (
        VirtualAdapter.objects.filter(kind=VirtualAdapterKind.ETHERNET)
        .exclude(role=VirtualAdapterRole.TRUNK)
        .exclude(lpar__kind=LparKind.VIOS)
    )
    elsewhere = ethernet.filter(
        (Q(pvid__isnull=False) & ~Q(pvid__in=everywhere))
        | Exists(tagged.exclude(vlan__vlan_id__in=everywhere))
    )
    if hosts and elsewhere.exists():
        estate.adapters_add(ethernet.filter(lpar_id__in=elsewhere.values("lpar_id")), vlans=True)


def _rows_disk_order(estate: Estate) -> None:
    """The vSCSI server adapters of clients served by several VIOS with more than one adapter
    each or with different disks."""
    servers = VirtualAdapter.objects.filter(
        kind=VirtualAdapterKind.VSCSI, role=VirtualAdapterRole.SERVER, remote_lpar__isnull=False
    )
    suspects = (
        servers.order_by()
        .values("remote_lpar_id")
        .annotate(
            vioses=Count("lpar_id", distinct=True),
            adapters=Count("id"),
            orders=Count("backing_devices", distinct=True),
        )
        .filter(vioses__gt=1)
        .filter(Q(adapters__gt=F("vioses")) | Q(orders__gt=1))
        .values("remote_lpar_id")
    )
    estate.adapters_add(servers.filter(remote_lpar_id__in=suspects), disks=True)


def _twin_families() -> QuerySet:
    """Every stub twin and every original of one."""
    twins = Lpar.objects.filter(stub_of__isnull=False)
    return Lpar.objects.filter(Q(id__in=twins.values("id")) | Q(id__in=twins.values("stub_of_id")))


def _rows_stub_drift(estate: Estate) -> None:
    """Every stub twin and original, with their adapters."""
    lpars = _twin_families()
    estate.lpars_add(lpars)
    if estate.lpars:
        estate.adapters_add(VirtualAdapter.objects.filter(lpar__in=lpars), vlans=True)


def _rows_twin_same_frame(estate: Estate) -> None:
    """Every stub twin and original: their frames are all the check reads."""
    estate.lpars_add(_twin_families())


CHECK_ROWS: dict[str, Callable[[Estate], None]] = {
    "slot_range": _rows_slot_range,
    "lpar_id_reused": _rows_lpar_id_reused,
    "vios_id": _rows_vios_id,
    "vios_side": _rows_vios_side,
    "single_vios": _rows_single_vios,
    "wwpn_pair": _rows_wwpn_pair,
    "wwpn_fabric": _rows_wwpn_fabric,
    "vlan_bridge": _rows_vlan_bridge,
    "disk_order": _rows_disk_order,
    "shared_pools": lambda estate: None,  # frames and their pools are all it reads
    "stub_drift": _rows_stub_drift,
    "twin_same_frame": _rows_twin_same_frame,
}


def estate_check(*, estate: Estate | None = None) -> list[Violation]:
    """Every violation in the estate, errors first, in the order of CHECKS: each check run on
    the rows it can find one in (or every check on `estate`, when given)."""
    frames = None if estate else Estate.frames_only()
    found: list[Violation] = []
    prefix = _PREFIX.set(get_script_prefix())
    try:
        for code, (_, run) in CHECKS.items():
            rows = estate
            if rows is None:
                rows = frames.frames_alone()
                CHECK_ROWS[code](rows)
            found += run(rows)
    finally:
        _PREFIX.reset(prefix)
    return sorted(found, key=lambda v: v.severity != Severity.ERROR)
