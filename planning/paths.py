"""An LPAR's paths as a picture: each vSCSI/vFC client adapter → VIOS server slot → physical FC
port → fabric → storage ports, and each VLAN → VIOS trunk adapter → the VIOS's Ethernet ports
(its SEA), so that a single point of failure shows at a glance.

The storage paths together must reach both fabric sides (A and B) through two VIOS; when they do
not, every storage path is drawn red, dashed, with a sentence saying why. The same for the
VLANs: each must be bridged by two VIOS. The picture is SVG made here (no outside service),
with a title, a description and text labels, so it reads in print and without colour.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.html import escape

from inventory.choices import VirtualAdapterKind, VirtualAdapterRole
from inventory.models import Lpar, Port, StoragePort, VirtualAdapter

KIND_LABELS = dict(VirtualAdapterKind.choices)
SIDES = ("A", "B")


@dataclass
class Path:
    """One row of the picture: its boxes left to right, and why it is red (empty: fine)."""

    kind: str  # "storage" | "network"
    boxes: list[str]
    problems: list[str] = field(default_factory=list)
    vios: str = ""
    sides: set[str] = field(default_factory=set)

    @property
    def red(self) -> bool:
        return bool(self.problems)


@dataclass
class PathPicture:
    lpar: Lpar
    paths: list[Path]
    summary: list[str]  # a sentence per point of failure found; empty when redundant

    @property
    def redundant(self) -> bool:
        return not self.summary


def _port_label(port: Port) -> str:
    """The port's full location code: a slot location alone repeats across drawers."""
    return f"{port.adapter.slot.drawer.location}-{port.adapter.slot.location}-{port.name}"


def _fabric_of(port: Port):
    wwpn = getattr(port, "wwpn", None)
    return wwpn.fabric if wwpn else None


def _fc_hops(ports: list[Port], targets: dict[int, list[str]]) -> tuple:
    """For ports on one fabric (or one port on none): (port box, fabric box, storage box,
    fabric side or None, problem or "")."""
    if not ports:
        return "no physical port", "—", "—", None, "no physical FC port behind it"
    labels = [_port_label(p) for p in ports]
    box = labels[0] + (f" (+{len(labels) - 1})" if len(labels) > 1 else "")
    fabric = _fabric_of(ports[0])
    if fabric is None:
        return box, "no fabric", "—", None, f"{', '.join(labels)} is on no fabric"
    storage = ", ".join(targets.get(fabric.pk, [])) or "no storage port"
    return box, f"{fabric.name} (side {fabric.side})", storage, fabric.side, ""


def _by_fabric(ports: list[Port]) -> list[list[Port]]:
    """The VIOS's FC ports grouped by fabric (a port on no fabric alone): its vSCSI disks come
    through any of them, so one row per fabric."""
    groups: dict[object, list[Port]] = {}
    for port in ports:
        fabric = _fabric_of(port)
        groups.setdefault(fabric.pk if fabric else ("none", port.pk), []).append(port)
    return list(groups.values()) or [[]]


def _storage_paths(lpar: Lpar, targets: dict[int, list[str]]) -> list[Path]:
    clients = (
        lpar.virtual_adapters.filter(
            kind__in=(VirtualAdapterKind.VSCSI, VirtualAdapterKind.VFC),
            role=VirtualAdapterRole.CLIENT,
        )
        .select_related("remote_lpar")
        .order_by("slot")
    )
    vios_ids = {c.remote_lpar_id for c in clients if c.remote_lpar_id}
    servers: dict[tuple[int | None, int | None], VirtualAdapter] = {
        (s.lpar_id, s.slot): s
        for s in VirtualAdapter.objects.filter(lpar_id__in=vios_ids).select_related(
            "physical_port__adapter__slot__drawer", "physical_port__wwpn__fabric"
        )
    }
    fc_ports: dict[int | None, list[Port]] = defaultdict(list)
    for port in (
        Port.objects.filter(adapter__owner_id__in=vios_ids, adapter__kind="fc")
        .select_related("adapter__slot__drawer", "wwpn__fabric")
        .order_by("adapter__slot__drawer__location", "adapter__slot__location", "name")
    ):
        fc_ports[port.adapter.owner_id].append(port)
    paths = []
    for client in clients:
        label = f"{KIND_LABELS[client.kind]} slot {client.slot}"
        if client.device_name:
            label += f" ({client.device_name})"
        vios = client.remote_lpar
        server = servers.get((client.remote_lpar_id, client.remote_slot)) if vios else None
        if vios is None or server is None:
            where = f"{vios.name} slot {client.remote_slot}" if vios else "no VIOS"
            why = "names no VIOS" if vios is None else f"{vios.name} has no server adapter there"
            paths.append(Path("storage", [label, where, "—", "—", "—"], [f"{label} {why}"]))
            continue
        vios_box = f"{vios.name} slot {server.slot}"
        if server.device_name:
            vios_box += f" ({server.device_name})"
        if client.kind == VirtualAdapterKind.VFC:  # its WWPNs log in through its port
            groups = [[server.physical_port] if server.physical_port else []]
        else:
            groups = _by_fabric(fc_ports.get(vios.pk, []))
        for ports in groups:
            port_box, fabric_box, storage, side, problem = _fc_hops(ports, targets)
            path = Path(
                "storage",
                [label, vios_box, port_box, fabric_box, storage],
                [problem] if problem else [],
                vios.name,
                {side} - {None},
            )
            paths.append(path)
    return paths


def _network_paths(lpar: Lpar) -> list[Path]:
    clients = lpar.virtual_adapters.filter(
        kind=VirtualAdapterKind.ETHERNET, role=VirtualAdapterRole.CLIENT
    ).prefetch_related("vlans")
    trunks = (
        VirtualAdapter.objects.filter(lpar__frame_id=lpar.frame_id, role=VirtualAdapterRole.TRUNK)
        .select_related("lpar")
        .prefetch_related("vlans")
        .order_by("lpar__lpar_id", "slot")
    )
    eth_ports: dict[int | None, list[str]] = defaultdict(list)
    for port in (
        Port.objects.filter(adapter__owner__frame_id=lpar.frame_id, adapter__kind="ethernet")
        .select_related("adapter__slot__drawer")
        .order_by("adapter__slot__drawer__location", "adapter__slot__location", "name")
    ):
        eth_ports[port.adapter.owner_id].append(_port_label(port))
    paths = []
    for client in clients:
        for vlan in client.vlan_ids:
            carrying = [
                t
                for t in trunks
                if vlan in t.vlan_ids and (not client.vswitch or t.vswitch == client.vswitch)
            ]
            start = f"VLAN {vlan} (slot {client.slot})"
            if not carrying:
                paths.append(
                    Path(
                        "network",
                        [start, "no trunk adapter", "—"],
                        [f"VLAN {vlan} is bridged by no VIOS"],
                    )
                )
                continue
            vioses = {t.lpar.name for t in carrying}
            problems = (
                []
                if len(vioses) > 1
                else [f"VLAN {vlan} is bridged by {next(iter(vioses))} only: no SEA failover"]
            )
            for trunk in carrying:
                trunk_box = f"{trunk.lpar.name} trunk slot {trunk.slot}"
                if trunk.trunk_priority:
                    trunk_box += f" (priority {trunk.trunk_priority})"
                sea = ", ".join(eth_ports.get(trunk.lpar_id, [])) or "no physical port"
                path_problems = list(problems)
                if trunk.lpar_id not in eth_ports:
                    path_problems.append(f"{trunk.lpar.name} has no physical Ethernet port")
                paths.append(
                    Path(
                        "network",
                        [start, trunk_box, f"SEA on {sea}"],
                        path_problems,
                        trunk.lpar.name,
                    )
                )
    return paths


def lpar_paths(*, lpar: Lpar) -> PathPicture:
    """The LPAR's storage and network paths, each storage path red when the paths together do
    not reach both fabric sides through two VIOS."""
    targets: dict[int, list[str]] = defaultdict(list)
    for port in StoragePort.objects.order_by("array", "name"):
        targets[port.fabric_id].append(str(port))
    storage = _storage_paths(lpar, targets)
    summary = []
    if storage:
        reached = set().union(*(p.sides for p in storage if not p.red))
        vioses = {p.vios for p in storage if not p.red}
        missing = [s for s in SIDES if s not in reached]
        if missing:
            summary.append(
                f"The storage of {lpar.name} reaches no fabric of side {' or '.join(missing)}: "
                "a fabric outage there takes every path."
            )
        if len(vioses) < 2:
            through = f"through {next(iter(vioses))} only" if vioses else "through no VIOS"
            summary.append(
                f"The storage of {lpar.name} goes {through}: that VIOS is a single point of "
                "failure."
            )
        reasons = [s.split(":")[0] for s in summary]  # the sentence up to its consequence
        for path in storage:
            path.problems += [r[0].lower() + r[1:] if path.problems else r for r in reasons]
    network = _network_paths(lpar)
    summary += sorted({p for path in network for p in path.problems})
    return PathPicture(lpar, storage + network, summary)


# The picture.

COLUMN_WIDTH, GAP, ROW, BOX_HEIGHT, LEFT, TOP = 214, 30, 58, 30, 12, 64
STORAGE_HEADINGS = ("Client adapter", "VIOS slot", "Physical port", "Fabric", "Storage ports")
NETWORK_HEADINGS = ("VLAN", "VIOS trunk adapter", "SEA (physical ports)")
OK_COLOUR, RED_COLOUR, TEXT = "#2b6cb0", "#c53030", "#1a202c"


def _fit(text: str, width: int = COLUMN_WIDTH) -> str:
    most = int(width // 6.4)
    return text if len(text) <= most else text[: most - 1] + "…"


def _x(column: int) -> int:
    return LEFT + column * (COLUMN_WIDTH + GAP)


def _row_svg(path: Path, y: int) -> list[str]:
    colour = RED_COLOUR if path.red else OK_COLOUR
    dash = ' stroke-dasharray="6 4"' if path.red else ""
    parts = [f'<g class="path{" path-red" if path.red else ""}">']
    for column, text in enumerate(path.boxes):
        x = _x(column)
        parts.append(
            f'<rect x="{x}" y="{y}" width="{COLUMN_WIDTH}" height="{BOX_HEIGHT}" rx="4" '
            f'fill="#ffffff" stroke="{colour}" stroke-width="1.5"{dash}/>'
        )
        parts.append(
            f'<text x="{x + 6}" y="{y + 19}" font-size="11" fill="{TEXT}">'
            f"<title>{escape(text)}</title>{escape(_fit(text))}</text>"
        )
        if column:
            parts.append(
                f'<line x1="{x - GAP}" y1="{y + BOX_HEIGHT // 2}" x2="{x}" '
                f'y2="{y + BOX_HEIGHT // 2}" stroke="{colour}" stroke-width="2"{dash}/>'
            )
    if path.red:
        why = "; ".join(path.problems)
        parts.append(
            f'<text x="{LEFT}" y="{y + BOX_HEIGHT + 14}" font-size="11" fill="{RED_COLOUR}">'
            f"✗ {escape(why)}</text>"
        )
    parts.append("</g>")
    return parts


def paths_svg(picture: PathPicture) -> str:
    """The picture as an inline SVG element."""
    storage = [p for p in picture.paths if p.kind == "storage"]
    network = [p for p in picture.paths if p.kind == "network"]
    width = _x(len(STORAGE_HEADINGS)) + LEFT
    parts: list[str] = []
    y = TOP
    for headings, rows, title in (
        (STORAGE_HEADINGS, storage, "Storage"),
        (NETWORK_HEADINGS, network, "Network"),
    ):
        if not rows:
            continue
        parts.append(
            f'<text x="{LEFT}" y="{y - 26}" font-size="14" font-weight="bold" fill="{TEXT}">'
            f"{title}</text>"
        )
        for column, heading in enumerate(headings):
            parts.append(
                f'<text x="{_x(column)}" y="{y - 8}" font-size="11" fill="#4a5568">{heading}</text>'
            )
        for path in rows:
            parts += _row_svg(path, y)
            y += ROW
        y += 40
    height = y
    name = escape(picture.lpar.name)
    verdict = (
        "Every storage path and VLAN is redundant."
        if picture.redundant
        else " ".join(picture.summary)
    )
    description = (
        f"{len(storage)} storage paths and {len(network)} network paths of {name}; red dashed "
        f"paths are single points of failure. {escape(verdict)}"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="paths-title paths-desc" '
        f'font-family="sans-serif" data-testid="paths-picture">'
        f'<title id="paths-title">Paths of {name}</title>'
        f'<desc id="paths-desc">{description}</desc>' + "".join(parts) + "</svg>"
    )
