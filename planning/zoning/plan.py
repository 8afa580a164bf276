"""The zoning plan of a fabric, derived from the inventory: every initiator WWPN (both WWPNs of
each NPIV pair, stub twins included, and the VIOS physical ports), the target ports, the zones
in the fabric's style, the storage host objects, and what is wrong with any of it."""

from collections import defaultdict
from dataclasses import dataclass, field

from inventory.choices import ZoningStyle
from inventory.identifiers import wwpn_colon
from inventory.models import Fabric, Lpar, StoragePort, VirtualAdapter, Wwpn
from planning.zoning.naming import NameBook, name_problems, storage_host_name
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

    def zone_of(self, alias: str) -> Zone | None:
        for zone in self.zones:
            if alias in zone.members:
                return zone
        return None


def _vfc_clients():
    return (
        VirtualAdapter.objects.filter(kind="vfc", role="client")
        .select_related("lpar__frame", "lpar__stub_of", "remote_lpar")
        .prefetch_related("wwpns__fabric")
        .order_by("lpar__frame__name", "lpar__lpar_id", "slot")
    )


def _vfc_servers() -> dict[tuple[int, int], VirtualAdapter]:
    servers = VirtualAdapter.objects.filter(kind="vfc", role="server").select_related(
        "physical_port__adapter__slot__drawer", "physical_port__wwpn__fabric"
    )
    return {(s.lpar_id, s.slot): s for s in servers}


def _adapter_label(adapter: VirtualAdapter) -> str:
    return adapter.device_name or f"s{adapter.slot}"


def _physical_fabric(server: VirtualAdapter | None) -> Fabric | None:
    if server is None or server.physical_port is None:
        return None
    wwpn = getattr(server.physical_port, "wwpn", None)
    return wwpn.fabric if wwpn else None


@dataclass
class ZoningPlan:
    """The plans of the fabrics, and the findings that belong to no fabric (adapters that reach
    none)."""

    fabrics: list[FabricPlan]
    findings: list[Finding]

    def of(self, fabric: Fabric) -> FabricPlan:
        return next(plan for plan in self.fabrics if plan.fabric.pk == fabric.pk)


def zoning_plan() -> ZoningPlan:
    """The plan of every fabric, in one pass over the estate (a storage host object gathers an
    LPAR's WWPNs from all fabrics, so no fabric is planned alone)."""
    chosen = {z.fabric_id: z for z in FabricZoning.objects.all()}
    plans = {
        fabric.pk: FabricPlan(fabric, chosen.get(fabric.pk) or FabricZoning(fabric=fabric))
        for fabric in Fabric.objects.order_by("name")
    }
    books = {pk: NameBook() for pk in plans}
    unplaced: list[Finding] = []
    _add_targets(plans, books)
    _add_npiv_initiators(plans, books, unplaced)
    _add_vios_ports(plans, books)
    for plan in plans.values():
        _add_zones(plan, books[plan.fabric.pk])
        _add_fabric_findings(plan)
    _add_hosts(list(plans.values()))
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
    plans: dict[int, FabricPlan], books: dict[int, NameBook], unplaced: list[Finding]
) -> None:
    servers = _vfc_servers()
    clients = list(_vfc_clients())
    # A stub twin's adapters are planned but not mapped: they reach the fabric of the
    # original's adapter in the same place (the n-th vFC client of the twin ↔ of the original).
    fabric_of: dict[int, Fabric | None] = {}
    by_lpar: dict[int, list[VirtualAdapter]] = defaultdict(list)
    for client in clients:
        by_lpar[client.lpar_id].append(client)
        server = servers.get((client.remote_lpar_id, client.remote_slot))
        pair_fabrics = {w.fabric for w in client.wwpns.all() if w.fabric}
        fabric = _physical_fabric(server) or (
            pair_fabrics.pop() if len(pair_fabrics) == 1 else None
        )
        fabric_of[client.pk] = fabric
    for client in clients:
        lpar: Lpar = client.lpar
        fabric = fabric_of[client.pk]
        if fabric is None and lpar.stub_of_id and lpar.stub_of_id in by_lpar:
            rank = by_lpar[lpar.pk].index(client)
            originals = by_lpar[lpar.stub_of_id]
            if rank < len(originals):
                fabric = fabric_of[originals[rank].pk]
        wwpns: list[Wwpn] = sorted(client.wwpns.all(), key=lambda w: w.position)
        label = f"{lpar.name} slot {client.slot}"
        if fabric is None:
            unplaced.append(
                Finding(
                    "warning",
                    "NO_FABRIC",
                    f"{label} on {lpar.frame.name}: its VIOS port has no fabric, so its WWPNs "
                    "are in no fabric's zoning.",
                )
            )
            continue
        if fabric.pk not in plans:
            continue
        plan = plans[fabric.pk]
        if len(wwpns) != 2:
            plan.findings.append(
                Finding("error", "PAIR_INCOMPLETE", f"{label} has {len(wwpns)} WWPN(s), not 2.")
            )
        stray = {w.fabric.name for w in wwpns if w.fabric and w.fabric != fabric}
        if stray:
            plan.findings.append(
                Finding(
                    "warning",
                    "PAIR_SPLIT",
                    f"{label} reaches {fabric.name} through its VIOS, but a WWPN of its pair is "
                    f"recorded on {', '.join(sorted(stray))}.",
                )
            )
        server = servers.get((client.remote_lpar_id, client.remote_slot))
        for wwpn in wwpns:
            if not wwpn.value.startswith("c"):
                plan.findings.append(
                    Finding(
                        "warning",
                        "NOT_VIRTUAL_WWPN",
                        f"{label}: NPIV WWPN {wwpn.value} does not start with c (IBM virtual "
                        "WWPNs do).",
                    )
                )
            alias = books[fabric.pk].from_template(
                wwpn.value,
                plan.settings.initiator_alias,
                {"frame": lpar.frame.name, "lpar": lpar.name,
                 "adapter": _adapter_label(client), "slot": client.slot},
                suffix=f"_w{wwpn.position}",
            )  # fmt: skip
            port = server.physical_port if server and server.physical_port else None
            port_wwpn = getattr(port, "wwpn", None) if port else None
            plan.initiators.append(
                Initiator(
                    device_type=NPIV_CLIENT,
                    wwpn=wwpn.value,
                    alias=alias,
                    frame=lpar.frame.name,
                    lpar=lpar.name,
                    lpar_id=lpar.lpar_id,
                    adapter=client.device_name,
                    client_slot=client.slot,
                    pair_index=wwpn.position,
                    vios=client.remote_lpar.name if client.remote_lpar else "",
                    vios_vfchost=server.device_name if server else "",
                    vios_port=str(port) if port else "",
                    vios_port_wwpn=port_wwpn.value if port_wwpn else "",
                    stub_of=lpar.stub_of.name if lpar.stub_of else "",
                )
            )


def _add_vios_ports(plans: dict[int, FabricPlan], books: dict[int, NameBook]) -> None:
    wwpns = (
        Wwpn.objects.filter(port__isnull=False, fabric_id__in=plans)
        .select_related("port__adapter__owner__frame", "port__adapter__slot__drawer")
        .order_by("value")
    )
    for wwpn in wwpns:
        adapter = wwpn.port.adapter
        owner = adapter.owner
        if owner is None:
            continue
        alias = books[wwpn.fabric_id].name(
            wwpn.value, owner.frame.name, owner.name, adapter.slot.location, wwpn.port.name
        )
        plans[wwpn.fabric_id].initiators.append(
            Initiator(
                device_type=VIOS_PHYS,
                wwpn=wwpn.value,
                alias=alias,
                frame=owner.frame.name,
                lpar=owner.name,
                lpar_id=owner.lpar_id,
                vios=owner.name,
                vios_port=str(wwpn.port),
                vios_port_wwpn=wwpn.value,
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


def _add_hosts(plans: list[FabricPlan]) -> None:
    """One host object per LPAR with every WWPN it has on any fabric, given to each fabric
    plan the LPAR appears in."""
    by_lpar: dict[tuple[str, str], list[Initiator]] = defaultdict(list)
    fabrics_of: dict[tuple[str, str], list[FabricPlan]] = defaultdict(list)
    for plan in plans:
        for initiator in plan.initiators:
            if initiator.device_type != NPIV_CLIENT:
                continue
            key = (initiator.frame, initiator.lpar)
            by_lpar[key].append(initiator)
            if plan not in fabrics_of[key]:
                fabrics_of[key].append(plan)
    for key, initiators in sorted(by_lpar.items()):
        frame, lpar = key
        pairs = defaultdict(set)
        for initiator in initiators:
            pairs[initiator.client_slot].add(initiator.pair_index)
        host = HostObject(
            name=storage_host_name(lpar),
            lpar=lpar,
            frame=frame,
            wwpns=tuple(
                i.wwpn for i in sorted(initiators, key=lambda i: (i.client_slot, i.pair_index))
            ),
            complete=all(indexes == {1, 2} for indexes in pairs.values()),
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
