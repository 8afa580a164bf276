"""The zoning plan of a fabric, derived from the inventory: every initiator WWPN (both WWPNs of
each NPIV pair, stub twins included, and the VIOS physical ports), the target ports, the zones
in the fabric's style, the storage host objects, and what is wrong with any of it."""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from inventory.choices import ZoningStyle
from inventory.identifiers import wwpn_colon
from inventory.models import Fabric, StoragePort, VirtualAdapter, Wwpn
from planning.models import EvacuationPlacement, EvacuationPlan
from planning.zoning.naming import NameBook, name_problems, storage_host_name, template_base
from planning.zoning.records import FabricZoning

NPIV_CLIENT = "NPIV_CLIENT"
VIOS_PHYS = "VIOS_PHYS"
ZONE_TYPES = {
    ZoningStyle.SINGLE_INITIATOR: "SI",
    ZoningStyle.PEER: "PEER",
    ZoningStyle.SMART: "SMART",
}


@dataclass(frozen=True)
class Initiator:
    """One initiator WWPN on the fabric."""

    device_type: str
    wwpn: str
    alias: str
    frame: str
    lpar: str
    lpar_id: int
    adapter: str = ""
    client_slot: int | None = None
    pair_index: int | None = None
    vios: str = ""
    vios_vfchost: str = ""
    vios_port: str = ""
    vios_port_wwpn: str = ""
    stub_of: str = ""
    lpm_target: str = ""  # the destination frame in the newest evacuation plan of its frame

    @property
    def wwpn_switch(self) -> str:
        return wwpn_colon(self.wwpn)

    @property
    def wwpn_storage(self) -> str:
        return self.wwpn.upper()

    @property
    def role(self) -> str:
        """Which WWPN of the pair is logged in now (1) and which logs in on the LPM target (2)."""
        if self.pair_index is None:
            return ""
        return "ACTIVE" if self.pair_index == 1 else "LPM"


@dataclass(frozen=True)
class Target:
    array: str
    port: str
    wwpn: str
    alias: str

    @property
    def wwpn_switch(self) -> str:
        return wwpn_colon(self.wwpn)


@dataclass(frozen=True)
class Zone:
    """A zone: `members` are initiator aliases, `targets` target aliases. In a peer zone the
    targets are the principals."""

    name: str
    kind: str
    members: tuple[str, ...]
    targets: tuple[str, ...]


@dataclass(frozen=True)
class HostObject:
    """A storage host object: every WWPN of one LPAR, both of each pair."""

    name: str
    lpar: str
    frame: str
    wwpns: tuple[str, ...]
    complete: bool

    @property
    def mkhost(self) -> str:
        return f"mkhost -name {self.name} -fcwwpn {':'.join(w.upper() for w in self.wwpns)} -force"


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" | "warning"
    code: str
    message: str


@dataclass
class FabricPlan:
    fabric: Fabric
    settings: FabricZoning
    initiators: list[Initiator] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    hosts: list[HostObject] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def zone_type(self) -> str:
        return ZONE_TYPES[self.fabric.zoning_style]

    @cached_property
    def _zones_by_member(self) -> dict[str, Zone]:
        # Built on first use, once the zones are made; dataclasses.replace starts a new plan.
        by_member: dict[str, Zone] = {}
        for zone in self.zones:
            for member in zone.members:
                by_member.setdefault(member, zone)
        return by_member

    def zone_of(self, alias: str) -> Zone | None:
        """The zone an initiator alias is a member of (the first, for peer zones)."""
        return self._zones_by_member.get(alias)


@dataclass(frozen=True)
class _Client:
    """A vFC client adapter as the plan needs it (plain values: 20,000 of them must be cheap)."""

    pk: int
    lpar_pk: int
    slot: int
    device_name: str
    remote_lpar_pk: int | None
    remote_slot: int | None
    lpar: str
    lpar_id: int
    frame: str
    stub_of_pk: int | None
    stub_of: str
    vios: str

    @property
    def label(self) -> str:
        return self.device_name or f"s{self.slot}"


@dataclass(frozen=True)
class _Server:
    device_name: str
    port_label: str
    port_wwpn: str
    fabric_pk: int | None


def _vfc_clients(**only: object) -> list[_Client]:
    """The vFC client adapters (`only`: a filter, e.g. some frames' or LPARs')."""
    rows = (
        VirtualAdapter.objects.filter(VirtualAdapter.VFC_CLIENT, **only)
        .order_by("lpar__frame__name", "lpar__lpar_id", "slot")
        .values_list(
            "pk",
            "lpar_id",
            "slot",
            "device_name",
            "remote_lpar_id",
            "remote_slot",
            "lpar__name",
            "lpar__lpar_id",
            "lpar__frame__name",
            "lpar__stub_of_id",
            "lpar__stub_of__name",
            "remote_lpar__name",
        )
    )
    return [_Client(*row[:9], row[9], row[10] or "", row[11] or "") for row in rows]


def _vfc_servers(**only: object) -> dict[tuple[int, int], _Server]:
    # No ordering: the default one would join the LPAR and frame for nothing.
    rows = (
        VirtualAdapter.objects.filter(kind="vfc", role="server", **only)
        .order_by()
        .values_list(
            "lpar_id",
            "slot",
            "device_name",
            "physical_port__adapter__slot__drawer__location",
            "physical_port__adapter__slot__location",
            "physical_port__name",
            "physical_port__wwpn__value",
            "physical_port__wwpn__fabric_id",
        )
    )
    servers = {}
    for lpar_pk, slot, device, drawer, slot_location, port, wwpn, fabric_pk in rows:
        label = f"{drawer}-{slot_location}-{port}" if port else ""
        servers[(lpar_pk, slot)] = _Server(device, label, wwpn or "", fabric_pk)
    return servers


def _lpm_targets(**only: object) -> dict[int, str]:
    """LPAR → the frame the newest evacuation plan of its current frame sends it to (where its
    second WWPN will log in)."""
    newest: dict[int, int] = {}
    for plan_pk, frame_pk in EvacuationPlan.objects.order_by("-created", "-pk").values_list(
        "pk", "frame_id"
    ):
        newest.setdefault(frame_pk, plan_pk)
    placements = EvacuationPlacement.objects.filter(
        plan_id__in=newest.values(), destination__isnull=False, **only
    ).values_list("lpar_id", "lpar__frame_id", "plan__frame_id", "destination__name")
    return {
        lpar_pk: destination
        for lpar_pk, lpar_frame, plan_frame, destination in placements
        if lpar_frame == plan_frame  # not since moved by a migration
    }


def _npiv_wwpns(**only: object) -> dict[int, list[tuple[int, str, int | None]]]:
    """vFC client adapter → its (position, WWPN, fabric id), in pair order."""
    pairs: dict[int, list[tuple[int, str, int | None]]] = defaultdict(list)
    rows = Wwpn.objects.filter(virtual_adapter__isnull=False, **only).order_by("position")
    for adapter_pk, position, value, fabric_pk in rows.values_list(
        "virtual_adapter_id", "position", "value", "fabric_id"
    ):
        pairs[adapter_pk].append((position, value, fabric_pk))
    return pairs


@dataclass
class ZoningPlan:
    """The plans of the fabrics, and the findings that belong to no fabric (adapters that reach
    none)."""

    fabrics: list[FabricPlan]
    findings: list[Finding]

    def of(self, fabric: Fabric) -> FabricPlan:
        return next(plan for plan in self.fabrics if plan.fabric.pk == fabric.pk)


def zoning_plan(*, fabric: Fabric | None = None) -> ZoningPlan:
    """The plan of every fabric, or of `fabric` alone, in one pass over the estate. A storage
    host object gathers an LPAR's WWPNs from all fabrics, so every adapter's WWPNs are read
    even for one fabric; only that fabric's names, zones and findings are made."""
    chosen = {z.fabric_id: z for z in FabricZoning.objects.all()}
    fabrics = Fabric.objects.order_by("name")
    if fabric is not None:
        fabrics = fabrics.filter(pk=fabric.pk)
    plans = {
        each.pk: FabricPlan(each, chosen.get(each.pk) or FabricZoning(fabric=each))
        for each in fabrics
    }
    books = {pk: NameBook() for pk in plans}
    unplaced: list[Finding] = []
    host_wwpns: dict[tuple[str, str], list[tuple[int, int, str]]] = defaultdict(list)
    _add_targets(plans, books)
    _add_npiv_initiators(plans, books, unplaced, host_wwpns)
    _add_vios_ports(plans, books)
    for plan in plans.values():
        _add_zones(plan, books[plan.fabric.pk])
        _add_fabric_findings(plan)
    _add_hosts(list(plans.values()), host_wwpns)
    return ZoningPlan(list(plans.values()), unplaced)


def _add_targets(plans: dict[int, FabricPlan], books: dict[int, NameBook]) -> None:
    ports = StoragePort.objects.filter(fabric_id__in=plans).select_related("wwpn")
    for port in ports.order_by("array", "name"):
        wwpn = getattr(port, "wwpn", None)
        if wwpn is None:
            plans[port.fabric_id].findings.append(
                Finding("warning", "TARGET_WITHOUT_WWPN", f"Storage port {port} has no WWPN.")
            )
            continue
        plan = plans[port.fabric_id]
        alias = books[port.fabric_id].from_template(
            wwpn.value, plan.settings.target_alias, {"array": port.array, "port": port.name}
        )
        plan.targets.append(Target(port.array, port.name, wwpn.value, alias))


def _add_npiv_initiators(
    plans: dict[int, FabricPlan],
    books: dict[int, NameBook],
    unplaced: list[Finding],
    host_wwpns: dict[tuple[str, str], list[tuple[int, int, str]]],
    frames: list[str] | None = None,
) -> None:
    """The NPIV initiators of the planned fabrics; `host_wwpns` gets every placed adapter's
    (slot, position, WWPN) by (frame, LPAR), whichever fabric it is on. `frames`: only the
    LPARs of these frames (by name), reading only what they need."""
    if frames is None:
        servers = _vfc_servers()
        clients = _vfc_clients()
        wwpns_of = _npiv_wwpns()
        lpm_targets = _lpm_targets()
        known = clients
    else:
        clients = _vfc_clients(lpar__frame__name__in=frames)
        # A stub twin's original may be on another frame: its adapters are read too.
        lpars = {client.lpar_pk for client in clients}
        elsewhere = {c.stub_of_pk for c in clients if c.stub_of_pk} - lpars
        known = clients + (_vfc_clients(lpar_id__in=elsewhere) if elsewhere else [])
        servers = _vfc_servers(lpar_id__in={c.remote_lpar_pk for c in known if c.remote_lpar_pk})
        wwpns_of = _npiv_wwpns(virtual_adapter_id__in=[c.pk for c in known])
        lpm_targets = _lpm_targets(lpar__frame__name__in=frames)
    fabric_names = {pk: plan.fabric.name for pk, plan in plans.items()}
    # A stub twin's adapters are planned but not mapped: they reach the fabric of the
    # original's adapter in the same place (the n-th vFC client of the twin ↔ of the original).
    fabric_of: dict[int, int | None] = {}
    by_lpar: dict[int, list[_Client]] = defaultdict(list)
    for client in known:
        by_lpar[client.lpar_pk].append(client)
        server = servers.get((client.remote_lpar_pk, client.remote_slot))
        pair_fabrics = {fabric for _, _, fabric in wwpns_of.get(client.pk, []) if fabric}
        fabric = server.fabric_pk if server and server.fabric_pk else None
        if fabric is None and len(pair_fabrics) == 1:
            fabric = pair_fabrics.pop()
        fabric_of[client.pk] = fabric
    for client in clients:
        fabric_pk = fabric_of[client.pk]
        if fabric_pk is None and client.stub_of_pk in by_lpar:
            rank = by_lpar[client.lpar_pk].index(client)
            originals = by_lpar[client.stub_of_pk]
            if rank < len(originals):
                fabric_pk = fabric_of[originals[rank].pk]
        wwpns = wwpns_of.get(client.pk, [])
        label = f"{client.lpar} slot {client.slot}"
        if fabric_pk is None:
            unplaced.append(
                Finding(
                    "warning",
                    "NO_FABRIC",
                    f"{label} on {client.frame}: its VIOS port has no fabric, so its WWPNs are "
                    "in no fabric's zoning.",
                )
            )
            continue
        for position, value, _ in wwpns:
            host_wwpns[(client.frame, client.lpar)].append((client.slot, position, value))
        if fabric_pk not in plans:
            continue
        plan = plans[fabric_pk]
        if len(wwpns) != 2:
            plan.findings.append(
                Finding("error", "PAIR_INCOMPLETE", f"{label} has {len(wwpns)} WWPN(s), not 2.")
            )
        stray = {fabric_names.get(f, "?") for _, _, f in wwpns if f and f != fabric_pk}
        if stray:
            plan.findings.append(
                Finding(
                    "warning",
                    "PAIR_SPLIT",
                    f"{label} reaches {plan.fabric.name} through its VIOS, but a WWPN of its "
                    f"pair is recorded on {', '.join(sorted(stray))}.",
                )
            )
        server = servers.get((client.remote_lpar_pk, client.remote_slot))
        values = {
            "frame": client.frame,
            "lpar": client.lpar,
            "adapter": client.label,
            "slot": client.slot,
        }
        base = template_base(plan.settings.initiator_alias, values)  # both WWPNs share it
        for position, value, _ in wwpns:
            if not value.startswith("c"):
                plan.findings.append(
                    Finding(
                        "warning",
                        "NOT_VIRTUAL_WWPN",
                        f"{label}: NPIV WWPN {value} does not start with c (IBM virtual WWPNs do).",
                    )
                )
            alias = books[fabric_pk].named(value, base, suffix=f"_w{position}")
            plan.initiators.append(
                Initiator(
                    device_type=NPIV_CLIENT,
                    wwpn=value,
                    alias=alias,
                    frame=client.frame,
                    lpar=client.lpar,
                    lpar_id=client.lpar_id,
                    adapter=client.device_name,
                    client_slot=client.slot,
                    pair_index=position,
                    vios=client.vios,
                    vios_vfchost=server.device_name if server else "",
                    vios_port=server.port_label if server else "",
                    vios_port_wwpn=server.port_wwpn if server else "",
                    stub_of=client.stub_of,
                    lpm_target=lpm_targets.get(client.lpar_pk, ""),
                )
            )


def _add_vios_ports(plans: dict[int, FabricPlan], books: dict[int, NameBook]) -> None:
    """The VIOS physical ports of the planned fabrics, read as plain values (a model instance
    and five related ones a port cost more than the rest of the export)."""
    rows = (
        Wwpn.objects.filter(port__isnull=False, fabric_id__in=plans)
        .exclude(port__adapter__owner__isnull=True)
        .order_by("value")
        .values_list(
            "value",
            "fabric_id",
            "port__name",
            "port__adapter__slot__location",
            "port__adapter__slot__drawer__location",
            "port__adapter__owner__name",
            "port__adapter__owner__lpar_id",
            "port__adapter__owner__frame__name",
        )
    )
    for value, fabric_pk, port, slot, drawer, owner, owner_id, frame in rows.iterator(2000):
        alias = books[fabric_pk].name(value, frame, owner, slot, port)
        plans[fabric_pk].initiators.append(
            Initiator(
                device_type=VIOS_PHYS,
                wwpn=value,
                alias=alias,
                frame=frame,
                lpar=owner,
                lpar_id=owner_id,
                vios=owner,
                vios_port=f"{drawer}-{slot}-{port}",  # str(port): its slot's full location
                vios_port_wwpn=value,
            )
        )


def _add_zones(plan: FabricPlan, book: NameBook) -> None:
    targets = tuple(t.alias for t in plan.targets)
    if not targets:
        return
    template = plan.settings.zone_name
    if plan.fabric.zoning_style == ZoningStyle.PEER:
        initiators = tuple(i.alias for i in plan.initiators)
        for target in plan.targets:
            name = book.from_template(
                f"zone:{target.wwpn}", "pz_{target}", {"target": target.alias}
            )
            plan.zones.append(Zone(name, "PEER", initiators, (target.alias,)))
        return
    arrays = "_".join(sorted({t.array for t in plan.targets}))
    for initiator in plan.initiators:
        values = {"initiator": initiator.alias, "arrays": arrays, "target": arrays}
        name = book.from_template(f"zone:{initiator.wwpn}", template, values)
        plan.zones.append(Zone(name, plan.zone_type, (initiator.alias,), targets))


def _add_hosts(
    plans: list[FabricPlan], host_wwpns: dict[tuple[str, str], list[tuple[int, int, str]]]
) -> None:
    """One host object per LPAR with every WWPN it has on any fabric, given to each planned
    fabric the LPAR appears in."""
    fabrics_of: dict[tuple[str, str], list[FabricPlan]] = defaultdict(list)
    for plan in plans:
        for initiator in plan.initiators:
            if initiator.device_type != NPIV_CLIENT:
                continue
            key = (initiator.frame, initiator.lpar)
            if not fabrics_of[key] or fabrics_of[key][-1] is not plan:
                fabrics_of[key].append(plan)
    for key in sorted(fabrics_of):
        frame, lpar = key
        wwpns = sorted(host_wwpns[key])
        pairs: dict[int, set[int]] = defaultdict(set)
        for slot, position, _ in wwpns:
            pairs[slot].add(position)
        host = HostObject(
            name=storage_host_name(lpar),
            lpar=lpar,
            frame=frame,
            wwpns=tuple(wwpn for _, _, wwpn in wwpns),
            complete=all(positions == {1, 2} for positions in pairs.values()),
        )
        for plan in fabrics_of[key]:
            plan.hosts.append(host)


def _add_fabric_findings(plan: FabricPlan) -> None:
    if not plan.targets:
        plan.findings.append(
            Finding(
                "warning",
                "NO_TARGETS",
                f"Fabric {plan.fabric.name} has no storage target ports: nothing is zoned.",
            )
        )
    if not plan.fabric.zoneset_name:
        plan.findings.append(
            Finding(
                "error",
                "NO_ACTIVE_CONFIG",
                f"Fabric {plan.fabric.name} has no active configuration name: scripts cannot "
                "be generated (enabling the wrong configuration replaces all zoning).",
            )
        )
    names = [i.alias for i in plan.initiators] + [t.alias for t in plan.targets]
    names += [z.name for z in plan.zones]
    for name in names:
        for problem in name_problems(name):
            plan.findings.append(Finding("error", "BAD_NAME", problem))
