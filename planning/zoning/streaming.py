"""The zoning of every fabric written without the whole plan in memory: the estate is read a
chunk of frames at a time, and no more than one chunk's plan objects are alive at once.

Pass 1 reads each chunk of frames once for all fabrics and names every initiator (the fabric's
`NameBook` gives out the aliases in the same order as `zoning_plan`); each fabric's initiators
and storage host objects are spooled to a temporary file, one block per chunk, as plain tuples.
Pass 2 reads each fabric's spool back, block by block, as small `FabricPlan`s: zones are named
only once every alias is (as `zoning_plan` does), and the rows are those of `zoning_values`, so
the workbook and the CSV have the same content as the ones made from the whole plan. The
snapshot each export records is built as JSON text on the way.
"""

import gc
import io
import json
import marshal
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from operator import attrgetter
from typing import IO

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, JSONField, Value
from django.db.models.functions import Cast

from inventory.choices import ZoningStyle
from inventory.models import Fabric, VirtualAdapter
from lpmplanner.security.spreadsheets import csv_writer
from planning.zoning.naming import NameBook, name_problems
from planning.zoning.plan import (
    NPIV_CLIENT,
    FabricPlan,
    Finding,
    HostObject,
    Initiator,
    Zone,
    _add_hosts,
    _add_npiv_initiators,
    _add_targets,
    _add_vios_ports,
)
from planning.zoning.records import FabricZoning, ZoningExport
from planning.zoning.workbook import (
    ZONING_COLUMNS,
    host_values,
    initiator_alias_values,
    target_alias_values,
    workbook_write,
    zoning_values,
)

# About this many vFC client adapters are read and planned at once.
CLIENTS_PER_CHUNK = 2000
_INITIATOR = attrgetter(*(f.name for f in fields(Initiator)))
_HOST = attrgetter(*(f.name for f in fields(HostObject)))


@dataclass
class _Fabric:
    """One fabric's state between the passes: its targets, the names given, the findings (in
    `zoning_plan`'s order) and the spool of its initiators and hosts."""

    plan: FabricPlan  # targets and target findings only
    book: NameBook = field(default_factory=lambda: NameBook(keep_identities=False))
    npiv_findings: list[Finding] = field(default_factory=list)
    name_findings: list[Finding] = field(default_factory=list)
    zone_findings: list[Finding] = field(default_factory=list)
    spool: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile())  # noqa: SIM115
    blocks: int = 0
    hosts: list[tuple] = field(default_factory=list)  # only when frames sort differently
    hosts_block: int | None = None  # the block of the sorted hosts, if they were sorted
    snapshot: io.StringIO = field(default_factory=io.StringIO)
    # The zones of a single-initiator or smart fabric, spooled as named (once) for the Zones
    # sheet; a peer fabric's zones, one per target, are kept.
    zone_spool: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile())  # noqa: SIM115
    zone_blocks: int = 0
    peer_zones: list[Zone] | None = None
    zoned: bool = False

    def dump(self, initiators: list[Initiator], hosts: list[HostObject]) -> None:
        if initiators or hosts:
            block = ([_INITIATOR(i) for i in initiators], [_HOST(h) for h in hosts])
            marshal.dump(block, self.spool)
            self.blocks += 1

    def blocks_read(self) -> Iterator[tuple[list[Initiator], list[HostObject]]]:
        self.spool.seek(0)
        for _ in range(self.blocks):
            # Our own temporary file, written just before by `dump`: trusted.
            initiators, hosts = marshal.load(self.spool)  # noqa: S302
            yield [Initiator(*i) for i in initiators], [HostObject(*h) for h in hosts]

    def host_objects(self) -> Iterator[HostObject]:
        """The fabric's storage host objects, sorted by frame and LPAR."""
        for index, (_, hosts) in enumerate(self.blocks_read()):
            if self.hosts_block is None or index == self.hosts_block:
                yield from hosts

    def zones_read(self) -> Iterator[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
        self.zone_spool.seek(0)
        for _ in range(self.zone_blocks):
            yield from marshal.load(self.zone_spool)  # noqa: S302 (our own file, as above)

    def close(self) -> None:
        self.spool.close()
        self.zone_spool.close()


def _frame_chunks() -> Iterator[list[str]]:
    """The frames with vFC clients, in the order `zoning_plan` reads them, a chunk at a time."""
    counts = (
        VirtualAdapter.objects.filter(VirtualAdapter.VFC_CLIENT)
        .order_by("lpar__frame__name")
        .values_list("lpar__frame__name")
        .annotate(clients=Count("pk"))
    )
    chunk: list[str] = []
    size = 0
    for name, clients in counts:
        chunk.append(name)
        size += clients
        if size >= CLIENTS_PER_CHUNK:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


class AllFabrics:
    """The zoning of every fabric, read in chunks of frames (see the module's docstring). Use as
    a context manager: the spools are temporary files."""

    def __init__(self) -> None:
        chosen = {z.fabric_id: z for z in FabricZoning.objects.all()}
        self.fabrics: dict[int, _Fabric] = {
            each.pk: _Fabric(FabricPlan(each, chosen.get(each.pk) or FabricZoning(fabric=each)))
            for each in Fabric.objects.order_by("name")
        }
        self.unplaced: list[Finding] = []
        plans = {pk: state.plan for pk, state in self.fabrics.items()}
        books = {pk: state.book for pk, state in self.fabrics.items()}
        _add_targets(plans, books)
        self._read(books)

    def __enter__(self) -> "AllFabrics":
        return self

    def __exit__(self, *_: object) -> None:
        for state in self.fabrics.values():
            state.close()

    def _fresh(self) -> dict[int, FabricPlan]:
        return {
            pk: FabricPlan(state.plan.fabric, state.plan.settings)
            for pk, state in self.fabrics.items()
        }

    def _read(self, books: dict[int, NameBook]) -> None:
        """Pass 1: name every initiator, chunk by chunk, and spool them."""
        chunks = list(_frame_chunks())
        names = [name for frames in chunks for name in frames]
        # When the database sorts frame names as Python does, the hosts (sorted by frame and
        # LPAR in `zoning_plan`) come out in order chunk after chunk; otherwise they are
        # gathered and sorted at the end.
        in_order = names == sorted(names)
        for frames in chunks:
            # The export runs with the cyclic collector paused (`exports.gc_paused`): the
            # chunk's cyclic garbage (querysets, related-object caches) is collected here, a
            # young generation only, so it does not pile up across the estate.
            gc.collect(1)
            plans = self._fresh()
            host_wwpns: dict[tuple[str, str], list[tuple[int, int, str]]] = defaultdict(list)
            _add_npiv_initiators(plans, books, self.unplaced, host_wwpns, frames)
            _add_hosts(list(plans.values()), host_wwpns)
            for pk, plan in plans.items():
                state = self.fabrics[pk]
                state.npiv_findings += plan.findings
                state.dump(plan.initiators, plan.hosts)
                if not in_order:
                    state.hosts += [_HOST(h) for h in plan.hosts]
        plans = self._fresh()
        _add_vios_ports(plans, books)
        for pk, plan in plans.items():
            self.fabrics[pk].dump(plan.initiators, [])
        del plans
        gc.collect(1)
        if not in_order:
            for state in self.fabrics.values():
                state.hosts.sort(key=lambda host: (host[2], host[1]))
                state.hosts_block = state.blocks
                state.dump([], [HostObject(*h) for h in state.hosts])
                state.hosts = []

    def _zones(self, state: _Fabric, initiators: list[Initiator]) -> list[Zone]:
        """The zones of `initiators`, named as `zoning_plan._add_zones` names them (in the
        same order: every alias is given already). A peer zone is per target; in a block it
        lists the block's initiators."""
        plan = state.plan
        targets = tuple(t.alias for t in plan.targets)
        if not targets:
            return []
        if plan.fabric.zoning_style == ZoningStyle.PEER:
            if state.peer_zones is None:
                state.peer_zones = [
                    Zone(
                        state.book.from_template(
                            f"zone:{target.wwpn}", "pz_{target}", {"target": target.alias}
                        ),
                        "PEER",
                        (),
                        (target.alias,),
                    )
                    for target in plan.targets
                ]
            members = tuple(i.alias for i in initiators)
            return [replace(zone, members=members) for zone in state.peer_zones]
        arrays = "_".join(sorted({t.array for t in plan.targets}))
        template = plan.settings.zone_name
        zones = []
        for initiator in initiators:
            values: dict[str, object] = {
                "initiator": initiator.alias,
                "arrays": arrays,
                "target": arrays,
            }
            name = state.book.from_template(f"zone:{initiator.wwpn}", template, values)
            zones.append(Zone(name, plan.zone_type, (initiator.alias,), targets))
        return zones

    def blocks(self, state: _Fabric) -> Iterator[FabricPlan]:
        """The fabric's plan, a block at a time, with its zones."""
        plan = state.plan
        for initiators, hosts in state.blocks_read():
            yield FabricPlan(
                plan.fabric,
                plan.settings,
                initiators=initiators,
                targets=plan.targets,
                zones=self._zones(state, initiators),
                hosts=hosts,
            )

    def zoning_rows(self, state: _Fabric) -> Iterator[tuple]:
        """Pass 2 for a fabric: its Zoning rows; on the way, its snapshot and the findings
        about its names."""
        # Each zone is named once (the book keeps no identities): the rows are made once.
        assert not state.zoned, "a fabric's zoning rows are made once"
        state.zoned = True
        snapshot = state.snapshot
        snapshot.write("[")
        separator = ""
        state.name_findings, state.zone_findings = [], []
        peer_zones_checked = False
        for block in self.blocks(state):
            yield from zoning_values(block)
            for initiator in block.initiators:
                zone = block.zone_of(initiator.alias)
                row = {
                    "wwpn": initiator.wwpn,
                    "alias": initiator.alias,
                    "lpar": initiator.lpar,
                    "frame": initiator.frame,
                    "zone": zone.name if zone else "",
                }
                snapshot.write(separator + json.dumps(row))
                separator = ", "
                state.name_findings += _problems(initiator.alias)
            if block.zones and block.zones[0].kind == "PEER":
                if not peer_zones_checked:
                    for zone in block.zones:
                        state.zone_findings += _problems(zone.name)
                    peer_zones_checked = True
            else:
                for zone in block.zones:
                    state.zone_findings += _problems(zone.name)
                if block.zones:
                    zones = [(z.name, z.kind, z.members, z.targets) for z in block.zones]
                    marshal.dump(zones, state.zone_spool)
                    state.zone_blocks += 1
        if not peer_zones_checked and state.plan.fabric.zoning_style == ZoningStyle.PEER:
            # A peer fabric's zones exist (one per target) even with no initiators.
            for zone in self._zones(state, []):
                state.zone_findings += _problems(zone.name)
        snapshot.write("]")

    def findings(self, state: _Fabric) -> list[Finding]:
        """The fabric's findings in `zoning_plan`'s order (after `zoning_rows`)."""
        plan = state.plan
        findings = list(plan.findings) + state.npiv_findings
        if not plan.targets:
            findings.append(
                Finding(
                    "warning",
                    "NO_TARGETS",
                    f"Fabric {plan.fabric.name} has no storage target ports: nothing is zoned.",
                )
            )
        if not plan.fabric.zoneset_name:
            findings.append(
                Finding(
                    "error",
                    "NO_ACTIVE_CONFIG",
                    f"Fabric {plan.fabric.name} has no active configuration name: scripts "
                    "cannot be generated (enabling the wrong configuration replaces all "
                    "zoning).",
                )
            )
        target_findings = [f for t in plan.targets for f in _problems(t.alias)]
        return findings + state.name_findings + target_findings + state.zone_findings

    def record(self, *, format: str, user: AbstractBaseUser | None) -> None:
        """A `ZoningExport` per fabric with its snapshot (after `zoning_rows`), stored from
        its JSON text."""
        for state in self.fabrics.values():
            export = ZoningExport.objects.create(
                fabric=state.plan.fabric,
                format=format,
                requested_by_id=user.pk if user else None,
                snapshot=[],
            )
            text = state.snapshot.getvalue() or "[]"
            ZoningExport.objects.filter(pk=export.pk).update(
                snapshot=Cast(Value(text), output_field=JSONField())
            )
            state.snapshot = io.StringIO()


def _problems(name: str) -> list[Finding]:
    return [Finding("error", "BAD_NAME", problem) for problem in name_problems(name)]


def all_fabrics_csv(zoning: AllFabrics) -> str:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(ZONING_COLUMNS)
    for state in zoning.fabrics.values():
        writer.writerows(zoning.zoning_rows(state))
    return out.getvalue()


def all_fabrics_workbook(zoning: AllFabrics, *, user: str = "") -> bytes:
    """The workbook of `zoning_workbook` for every fabric, sheet by sheet, each fabric's part
    of a sheet read back from its spool as the sheet is written."""
    states = list(zoning.fabrics.values())

    def alias_rows() -> Iterator[tuple]:
        for state in states:
            name = state.plan.fabric.name
            for initiators, _ in state.blocks_read():
                for initiator in initiators:
                    yield initiator_alias_values(name, initiator)
            for target in state.plan.targets:
                yield target_alias_values(name, target)

    def zone_rows() -> Iterator[tuple]:
        for state in states:
            name = state.plan.fabric.name
            if state.plan.fabric.zoning_style == ZoningStyle.PEER:
                # One zone per target, every initiator a member: the members gathered as text.
                members = ";".join(
                    i.alias for initiators, _ in state.blocks_read() for i in initiators
                )
                for zone in zoning._zones(state, []):
                    yield (name, zone.name, zone.kind, members, ";".join(zone.targets))
                continue
            for zone_name, kind, zone_members, targets in state.zones_read():
                yield (name, zone_name, kind, ";".join(zone_members), ";".join(targets))

    def finding_rows() -> Iterator[tuple[str, Finding]]:
        yield from (("", f) for f in zoning.unplaced)
        for state in states:
            yield from ((state.plan.fabric.name, f) for f in zoning.findings(state))

    return workbook_write(
        user=user,
        fabrics=[(state.plan.fabric, state.plan.zone_type) for state in states],
        zoning=(values for state in states for values in zoning.zoning_rows(state)),
        aliases=alias_rows(),
        zones=zone_rows(),
        hosts=(
            host_values(state.plan.fabric.name, host)
            for state in states
            for host in state.host_objects()
        ),
        findings=finding_rows(),
    )


__all__ = ["NPIV_CLIENT", "AllFabrics", "all_fabrics_csv", "all_fabrics_workbook"]
