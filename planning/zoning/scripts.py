"""Switch and storage command scripts for a fabric's zoning plan, and the scripts that undo
them: Brocade FOS, Cisco MDS NX-OS, IBM Storage Virtualize host objects."""

from planning.zoning.plan import FabricPlan, Zone


class ScriptRefused(Exception):
    """The plan cannot be turned into a safe script (e.g. no active configuration name)."""


def _require_active_config(plan: FabricPlan) -> str:
    name = plan.fabric.zoneset_name
    if not name:
        raise ScriptRefused(
            f"Fabric {plan.fabric.name} has no active configuration / zoneset name. Set it "
            "first: enabling the wrong configuration replaces the fabric's whole zoning."
        )
    return name


def _aliases(plan: FabricPlan) -> list[tuple[str, str]]:
    """(alias, colon WWPN) for every member the zones use, initiators first."""
    return [(i.alias, i.wwpn_switch) for i in plan.initiators] + [
        (t.alias, t.wwpn_switch) for t in plan.targets
    ]


def _header(plan: FabricPlan, what: str, comment: str) -> list[str]:
    fabric = plan.fabric
    return [
        f"{comment} lpmplanner {what} for fabric {fabric.name} (side {fabric.side}, "
        f"{fabric.get_vendor_display()}, {plan.zone_type} zoning)",
        f"{comment} active configuration: {fabric.zoneset_name}",
    ]


# -- Brocade FOS ------------------------------------------------------------------------------


def _brocade_zonecreate(zone: Zone) -> str:
    if zone.kind == "PEER":
        return (
            f'zonecreate --peerzone "{zone.name}" -principal "{";".join(zone.targets)}" '
            f'-members "{";".join(zone.members)}"'
        )
    return f'zonecreate "{zone.name}","{";".join(zone.members + zone.targets)}"'


def brocade_script(plan: FabricPlan, *, remove: bool = False, incremental: bool = False) -> str:
    """alicreate → zonecreate → cfgadd → cfgsave → cfgenable of the fabric's effective cfg;
    the removal script runs the same steps backwards. Target aliases are shared by every host
    and stay when an initiator's zoning is removed. `incremental` (a diff since the last
    export): peer zones exist already, so their members are added or removed instead."""
    cfg = _require_active_config(plan)
    peer_members_only = incremental and plan.zone_type == "PEER"
    zones = ";".join(z.name for z in plan.zones)
    lines = _header(plan, "removal script" if remove else "zoning script", "#")
    if remove:
        if peer_members_only:
            lines += [
                f'zoneremove --peerzone "{z.name}" -members "{";".join(z.members)}"'
                for z in plan.zones
            ]
        else:
            if zones:
                lines.append(f'cfgremove "{cfg}","{zones}"')
            lines += [f'zonedelete "{z.name}"' for z in plan.zones]
        lines += [f'alidelete "{i.alias}"' for i in plan.initiators]
    else:
        aliases = _aliases(plan)
        if incremental:
            aliases = [(i.alias, i.wwpn_switch) for i in plan.initiators]
        lines += [f'alicreate "{alias}","{wwpn}"' for alias, wwpn in aliases]
        if peer_members_only:
            lines += [
                f'zoneadd --peerzone "{z.name}" -members "{";".join(z.members)}"'
                for z in plan.zones
            ]
        else:
            lines += [_brocade_zonecreate(z) for z in plan.zones]
            if zones:
                lines.append(f'cfgadd "{cfg}","{zones}"')
    lines += ["cfgsave", f'cfgenable "{cfg}"']
    return "\n".join(lines) + "\n"


# -- Cisco MDS --------------------------------------------------------------------------------


def cisco_script(plan: FabricPlan, *, remove: bool = False, enhanced: bool = False) -> str:
    """device-alias database and commit, zones in the fabric's VSAN, zoneset membership and
    activation; `init`/`target` tags only with smart zoning; `zone commit` only for a VSAN in
    enhanced zone mode. The removal script undoes the zones and the initiators' aliases."""
    zoneset = _require_active_config(plan)
    vsan = plan.fabric.vsan
    if not vsan:
        raise ScriptRefused(f"Fabric {plan.fabric.name} has no VSAN.")
    smart = plan.zone_type == "SMART"
    lines = _header(plan, "removal script" if remove else "zoning script", "!")
    lines.append("configure terminal")
    if remove:
        lines.append(f"zoneset name {zoneset} vsan {vsan}")
        lines += [f" no member {z.name}" for z in plan.zones]
        lines += [f"no zone name {z.name} vsan {vsan}" for z in plan.zones]
        lines.append(f"zoneset activate name {zoneset} vsan {vsan}")
        if enhanced:
            lines.append(f"zone commit vsan {vsan}")
        lines.append("device-alias database")
        lines += [f" no device-alias name {i.alias}" for i in plan.initiators]
        lines.append("device-alias commit")
    else:
        lines.append("device-alias database")
        lines += [f" device-alias name {alias} pwwn {wwpn}" for alias, wwpn in _aliases(plan)]
        lines.append("device-alias commit")
        for zone in plan.zones:
            lines.append(f"zone name {zone.name} vsan {vsan}")
            init, target = (" init", " target") if smart else ("", "")
            lines += [f" member device-alias {m}{init}" for m in zone.members]
            lines += [f" member device-alias {t}{target}" for t in zone.targets]
        lines.append(f"zoneset name {zoneset} vsan {vsan}")
        lines += [f" member {z.name}" for z in plan.zones]
        lines.append(f"zoneset activate name {zoneset} vsan {vsan}")
        if enhanced:
            lines.append(f"zone commit vsan {vsan}")
    lines += ["end", "copy running-config startup-config"]
    return "\n".join(lines) + "\n"


# -- Storage Virtualize -----------------------------------------------------------------------


def storage_script(plan: FabricPlan, *, remove: bool = False) -> str:
    """One host object per LPAR with every WWPN of its pairs (`-force`: the second WWPN of a
    pair is not logged in until LPM). Removal deletes the host objects."""
    lines = _header(plan, "storage host removal" if remove else "storage host commands", "#")
    for host in plan.hosts:
        if remove:
            lines.append(f"rmhost {host.name}")
        else:
            if not host.complete:
                lines.append(f"# {host.lpar}: a WWPN pair is incomplete; complete it first")
            lines.append(host.mkhost)
    return "\n".join(lines) + "\n"
