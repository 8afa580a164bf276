"""What changed in a fabric's zoning since its last export: each export keeps a snapshot of
its initiators (WWPN, alias, zone), and the next one compares the plan with it."""

from dataclasses import dataclass, replace

from planning.zoning.plan import FabricPlan, Initiator, Zone


def snapshot_of(plan: FabricPlan) -> list[dict]:
    """The rows an export records: enough to tell what was added and to undo what is gone."""
    rows = []
    for initiator in plan.initiators:
        zone = plan.zone_of(initiator.alias)
        rows.append(
            {
                "wwpn": initiator.wwpn,
                "alias": initiator.alias,
                "lpar": initiator.lpar,
                "frame": initiator.frame,
                "zone": zone.name if zone else "",
            }
        )
    return rows


@dataclass(frozen=True)
class ZoningDiff:
    added: FabricPlan  # the plan restricted to initiators that are new since the snapshot
    removed: FabricPlan  # what the snapshot had and the plan has no more, as a plan to undo
    kept: frozenset[str]

    @property
    def actions(self) -> dict[str, str]:
        """WWPN → ADD / KEEP / REMOVE, for the workbook's Action column."""
        actions = dict.fromkeys(self.kept, "KEEP")
        actions |= {i.wwpn: "ADD" for i in self.added.initiators}
        actions |= {i.wwpn: "REMOVE" for i in self.removed.initiators}
        return actions


def zoning_diff(plan: FabricPlan, snapshot: list[dict]) -> ZoningDiff:
    previous = {row["wwpn"]: row for row in snapshot}
    current = {i.wwpn for i in plan.initiators}
    added = [i for i in plan.initiators if i.wwpn not in previous]
    gone = [row for wwpn, row in previous.items() if wwpn not in current]
    added_aliases = {i.alias for i in added}
    added_plan = replace(
        plan,
        initiators=added,
        zones=[_only(z, added_aliases) for z in plan.zones if set(z.members) & added_aliases],
        hosts=[h for h in plan.hosts if set(h.wwpns) & {i.wwpn for i in added}],
        findings=list(plan.findings),
    )
    removed_plan = replace(
        plan,
        initiators=[
            Initiator(
                device_type="",
                wwpn=r["wwpn"],
                alias=r["alias"],
                frame=r["frame"],
                lpar=r["lpar"],
                lpar_id=0,
            )
            for r in gone
        ],
        zones=_removed_zones(plan, gone),
        hosts=[],
        findings=[],
    )
    return ZoningDiff(added_plan, removed_plan, frozenset(current & set(previous)))


def _only(zone: Zone, aliases: set[str]) -> Zone:
    """A peer zone keeps all its members; in the diff only the new ones are added to it."""
    if zone.kind != "PEER":
        return zone
    return replace(zone, members=tuple(m for m in zone.members if m in aliases))


def _removed_zones(plan: FabricPlan, gone: list[dict]) -> list[Zone]:
    aliases = {row["alias"] for row in gone}
    if plan.zone_type == "PEER":
        return (
            [replace(z, members=tuple(a for a in sorted(aliases))) for z in plan.zones]
            if aliases
            else []
        )
    targets = tuple(t.alias for t in plan.targets)
    return [
        Zone(row["zone"], plan.zone_type, (row["alias"],), targets) for row in gone if row["zone"]
    ]
