"""The failover runbook of a stub twin: the ordered steps for the day the original's frame
dies, with the commands built from the inventory's names, and what is missing where the
inventory lacks a name (never a guess)."""

from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError

from inventory.choices import LparKind, VirtualAdapterKind, VirtualAdapterRole
from inventory.models import Lpar, Port, VirtualAdapter


@dataclass
class Step:
    title: str
    where: str
    commands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass
class Runbook:
    twin: str
    original: str
    frame: str
    original_frame: str
    steps: list[Step]

    @property
    def missing(self) -> list[str]:
        return [m for step in self.steps for m in step.missing]

    def as_dict(self) -> dict:
        return {**asdict(self), "missing": self.missing, "complete": not self.missing}

    def as_text(self) -> str:
        lines = [
            f"Failover runbook: {self.original} ({self.original_frame}) → stub twin "
            f"{self.twin} ({self.frame})",
            "",
        ]
        for number, step in enumerate(self.steps, start=1):
            lines.append(f"{number}. {step.title} [{step.where}]")
            lines += [f"   $ {command}" for command in step.commands]
            lines += [f"   {note}" for note in step.notes]
            lines += [f"   MISSING: {missing}" for missing in step.missing]
            lines.append("")
        if self.missing:
            lines.append(f"{len(self.missing)} name(s) missing from the inventory; see MISSING.")
        return "\n".join(lines).rstrip() + "\n"


def _server_of(client: VirtualAdapter) -> VirtualAdapter | None:
    return (
        VirtualAdapter.objects.select_related("lpar", "physical_port__adapter__slot__drawer")
        .filter(lpar_id=client.remote_lpar_id, slot=client.remote_slot)
        .first()
    )


def _suggested_port(server: VirtualAdapter, client: VirtualAdapter) -> Port | None:
    """The VIOS's FC port on the fabric of the twin's WWPNs, when the plan names none."""
    fabrics = {w.fabric_id for w in client.wwpns.all()} - {None}
    ports = Port.objects.select_related("adapter__slot__drawer", "wwpn").filter(
        adapter__owner=server.lpar, adapter__kind="fc", wwpn__fabric_id__in=fabrics
    )
    return ports.order_by("adapter__slot__drawer__location", "adapter__slot__location").first()


def _vfc_commands(step: Step, client: VirtualAdapter, server: VirtualAdapter) -> None:
    port = server.physical_port or _suggested_port(server, client)
    vfchost = server.device_name
    if not vfchost:
        step.missing.append(
            f"the vfchost device name of {server.lpar.name} slot {server.slot} (serving vFC "
            f"slot {client.slot}): after the adapter exists, find it with `lsmap -all -npiv` "
            "and record it on the adapter."
        )
    where = f"port {port}" if port else f"an FC port of {server.lpar.name} on the same fabric"
    step.missing.append(
        f"the fcs device name of {where}: the inventory keeps no VIOS device name for "
        "physical ports; find it with `lsnports` / `lsdev -dev fcs* -vpd`."
    )
    step.commands.append(
        f"vfcmap -vadapter {vfchost or '<vfchost: missing>'} -fcp <fcs of {where}: missing>"
    )


def _vscsi_commands(
    step: Step, client: VirtualAdapter, server: VirtualAdapter, original: Lpar
) -> None:
    vhost = server.device_name
    if not vhost:
        step.missing.append(
            f"the vhost device name of {server.lpar.name} slot {server.slot} (serving vSCSI "
            f"slot {client.slot}): after the adapter exists, find it with `lsmap -all` and "
            "record it on the adapter."
        )
    if not server.backing_devices:
        theirs = VirtualAdapter.objects.filter(
            remote_lpar=original,
            kind=VirtualAdapterKind.VSCSI,
            role=VirtualAdapterRole.SERVER,
            lpar__lpar_id=server.lpar.lpar_id,
        ).values_list("backing_devices", flat=True)
        disks = ", ".join(d for devices in theirs for d in devices) or "none recorded"
        step.missing.append(
            f"the hdisks {server.lpar.name} maps to slot {server.slot}: the original's VIOS "
            f"with the same LPAR id maps {disks}; hdisk numbers differ between VIOS, so record "
            "the same LUNs' names on the server adapter."
        )
    for disk in server.backing_devices or ["<hdisk: missing>"]:
        step.commands.append(f"mkvdev -vdev {disk} -vadapter {vhost or '<vhost: missing>'}")


def _vios_steps(twin: Lpar, clients: list[VirtualAdapter]) -> list[Step]:
    steps: dict[int, Step] = {}
    for client in clients:
        if client.kind not in (VirtualAdapterKind.VSCSI, VirtualAdapterKind.VFC):
            continue
        server = _server_of(client) if client.remote_lpar_id else None
        if server is None:
            step = steps.setdefault(0, Step("Map the twin's adapters", "VIOS"))
            step.missing.append(f"the VIOS server adapter of {client.kind} slot {client.slot}.")
            continue
        vios = server.lpar
        step = steps.setdefault(
            vios.lpar_id,
            Step(
                f"On {vios.name} (LPAR id {vios.lpar_id}) of {twin.frame.name}, map the "
                "twin's adapters",
                f"{vios.name} as padmin",
            ),
        )
        if client.kind == VirtualAdapterKind.VFC:
            _vfc_commands(step, client, server)
        else:
            _vscsi_commands(step, client, server, twin.stub_of)
    for vios_id, step in steps.items():
        if vios_id:
            step.commands.append(
                "lsmap -all -npiv" if "vfcmap" in " ".join(step.commands) else "lsmap -all"
            )
    return [steps[k] for k in sorted(steps)]


def _activate_step(twin: Lpar) -> Step:
    step = Step("Activate the twin into SMS", "HMC")
    profile = twin.profile_name
    if not profile:
        step.missing.append(f"the profile name of {twin.name}: record it on the LPAR.")
    step.commands.append(
        f"chsysstate -r lpar -m {twin.frame.name} -n {twin.name} -o on "
        f"-f {profile or '<profile: missing>'} -b sms"
    )
    return step


def _boot_step(twin: Lpar, clients: list[VirtualAdapter]) -> Step:
    storage = [c for c in clients if c.kind != VirtualAdapterKind.ETHERNET]
    slots = ", ".join(f"{c.get_kind_display()} slot {c.slot}" for c in storage) or "none"
    step = Step(
        "Boot from the original's disks and fix the boot list",
        f"{twin.name} console",
        notes=[
            f"In SMS: Select Boot Options → Select Install/Boot Device → the disk behind "
            f"one of the twin's adapters ({slots})."
        ],
    )
    if twin.kind == LparKind.AIX:
        step.commands += ["bootlist -m normal <boot hdisk>", "bootlist -m normal -o"]
        step.missing.append(
            f"the boot hdisk of {twin.name}: the inventory keeps no client disk names; use "
            "`lspv | grep rootvg` once AIX is up."
        )
    return step


def _verify_step(twin: Lpar, clients: list[VirtualAdapter]) -> Step:
    original = twin.stub_of
    step = Step("Check the paths", f"{twin.name} and HMC")
    step.commands += [
        f"lssyscfg -r lpar -m {twin.frame.name} --filter lpar_names={twin.name} -F state",
        "lspath",
    ]
    old = original.virtual_adapters.exclude(kind=VirtualAdapterKind.ETHERNET).order_by("slot")
    for adapter in old:
        name = (
            adapter.device_name or f"the device of {adapter.get_kind_display()} slot {adapter.slot}"
        )
        step.notes.append(
            f"Paths through {name} show as Missing: it was the original's adapter in slot "
            f"{adapter.slot}, and the twin's adapters sit in other slots, so AIX configures "
            f"them as new devices. Remove them with `rmpath -d -p` and "
            + (
                f"the fscsi device under {name} (`lsdev -p {name}`)."
                if adapter.kind == "vfc"
                else f"{name}."
            )
        )
    step.notes.append(
        "Every path through the twin's adapters "
        f"({', '.join(str(c.slot) for c in clients if c.kind != 'ethernet')}) must be Enabled."
    )
    return step


def failover_runbook(*, twin: Lpar) -> Runbook:
    """The runbook of a stub twin; a ValidationError for an LPAR that is no twin."""
    original = twin.stub_of
    if original is None:
        raise ValidationError(f"{twin.name} is not a stub twin: there is no failover runbook.")
    clients = list(
        twin.virtual_adapters.filter(role=VirtualAdapterRole.CLIENT)
        .prefetch_related("wwpns")
        .order_by("slot")
    )
    fence = Step(
        "Make sure the original is down",
        "HMC",
        commands=[
            f"lssyscfg -r lpar -m {original.frame.name} --filter lpar_names="
            f"{original.name} -F state"
        ],
        notes=[f"{original.name} and {twin.name} use the same disks: never run both."],
    )
    steps = [fence, *_vios_steps(twin, clients), _activate_step(twin)]
    steps += [_boot_step(twin, clients), _verify_step(twin, clients)]
    return Runbook(twin.name, original.name, twin.frame.name, original.frame.name, steps)
