"""The demo estate behind `seed_demo`: two p750 frames with their VIOS pairs, SAN and clients,
including the worked example `server1`. Every row goes through model validation."""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncssh
from django.conf import settings
from django.db import models, transaction

from inventory.choices import (
    AdapterKind,
    DrawerKind,
    FabricSide,
    FabricVendor,
    LparKind,
    LparState,
    ProcessorGeneration,
    ProcMode,
    VirtualAdapterKind,
    VirtualAdapterRole,
)
from inventory.models import (
    Adapter,
    Drawer,
    Fabric,
    Frame,
    Hmc,
    Lpar,
    Port,
    SharedProcessorPool,
    Slot,
    StoragePort,
    VirtualAdapter,
    Vlan,
    Wwpn,
)
from inventory.seeding import (
    CLIENT_VFC_SLOTS,
    CLIENT_VSCSI_SLOTS,
    ETHERNET_SLOT,
    TRUNK_PVID,
    VFC_SERVER_BASE,
    VSCSI_SERVER_BASE,
    VSWITCH,
    row_ensure,
)
from inventory.services import (
    ModelT,
    port_wwpn_set,
    storage_port_wwpn_set,
    virtual_adapter_save,
)

# The factory-default hscroot password: hmc-sim is the HMC simulator, not a real console.
DEMO_HMC_PASSWORD = "abc123"  # noqa: S105
DEMO_HMC_NAME = "hmc-sim"
DEMO_HMC_HOST, DEMO_HMC_PORT = "127.0.0.1", 2222
SIMULATOR_HOST_KEY_FILE = "hmc_simulator_host_key"
# vios1 reaches fabric A, vios2 fabric B: each client sees the SAN through both VIOS.
VIOS_FABRIC = {"vios1": "FAB_A", "vios2": "FAB_B"}
VLANS = {1: "default", 400: "app", 401: "db"}


@dataclass(frozen=True)
class DemoFrame:
    name: str
    serial: str
    cec_location: str
    io_location: str
    npiv_base: int  # the first virtual WWPN of its clients; pairs follow consecutively
    fc_base: int  # the first physical FC port WWPN
    mac_base: int


@dataclass(frozen=True)
class DemoClient:
    frame: str
    name: str
    lpar_id: int
    kind: str
    proc_units: str
    virtual_procs: int
    memory_mb: int
    vlan: int
    proc_mode: str = ProcMode.SHARED
    compat_mode: str = "default"
    state: str = LparState.RUNNING


FRAMES = (
    DemoFrame(
        "p750-a",
        "0654A1R",
        "U78A0.001.DNWHZS4",
        "U5802.001.0086A11",
        npiv_base=0xC050760431670010,
        fc_base=0x10000000C9A10000,
        mac_base=0x00145EA10000,
    ),
    DemoFrame(
        "p750-b",
        "0654A2R",
        "U78A0.001.DNWHZT1",
        "U5802.001.0086A12",
        npiv_base=0xC0507604A2B40010,
        fc_base=0x10000000C9B20000,
        mac_base=0x00145EB20000,
    ),
)

CLIENTS = (
    DemoClient("p750-a", "server1", 10, LparKind.AIX, "1.0", 1, 2048, vlan=400),
    DemoClient(
        "p750-a", "server2", 11, LparKind.AIX, "0.5", 1, 4096, vlan=400, compat_mode="POWER7"
    ),
    DemoClient(
        "p750-a", "db1", 12, LparKind.AIX, "2", 2, 16384, vlan=401, proc_mode=ProcMode.DEDICATED
    ),
    DemoClient(
        "p750-a", "lnx1", 13, LparKind.LINUX, "0.25", 1, 4096, vlan=401, compat_mode="POWER6+"
    ),
    DemoClient("p750-b", "app1", 20, LparKind.AIX, "1.0", 2, 8192, vlan=400),
    DemoClient("p750-b", "lnx2", 21, LparKind.LINUX, "0.5", 1, 4096, vlan=401),
    DemoClient(
        "p750-b",
        "ibmi1",
        22,
        LparKind.IBMI,
        "0.5",
        1,
        8192,
        vlan=400,
        state=LparState.NOT_ACTIVATED,
    ),
)

# Each p750 is evacuated to the other: what the readiness runs validate every LPAR against.
EVACUATION_TARGETS = {"p750-a": "p750-b", "p750-b": "p750-a"}

STORAGE_ARRAY = "fs9k1"
# (port name, fabric, WWPN): each node of the array has a port on each fabric.
STORAGE_PORTS = (
    ("N1P1", "FAB_A", "500507680c110101"),
    ("N1P2", "FAB_B", "500507680c110102"),
    ("N2P1", "FAB_A", "500507680c110201"),
    ("N2P2", "FAB_B", "500507680c110202"),
)
# (drawer, slot, kind, owner): the cards of each frame; an FC card's T1 is on fabric A, T2 on B.
CARDS = (
    ("cec", "P1-C1", AdapterKind.FC, "vios1"),
    ("cec", "P1-C2", AdapterKind.FC, "vios2"),
    ("cec", "P1-C3", AdapterKind.ETHERNET, "vios1"),
    ("cec", "P1-C4", AdapterKind.ETHERNET, "vios2"),
    ("cec", "P1-C5", None, None),
    ("cec", "P1-C6", None, None),
    ("io", "P1-C1", AdapterKind.FC, "vios1"),
    ("io", "P1-C2", AdapterKind.FC, "vios2"),
    ("io", "P1-C3", None, None),
    ("io", "P1-C4", None, None),
)
FEATURE_CODES = {
    AdapterKind.FC: ("5735", "8 Gb PCIe dual-port Fibre Channel"),
    AdapterKind.ETHERNET: ("5767", "2-port 1 Gb PCIe Ethernet"),
}


@dataclass
class DemoResult:
    """How many rows of each model a load created; empty when everything was there."""

    created: Counter[type[models.Model]] = field(default_factory=Counter)

    def summary(self) -> str:
        if not self.created:
            return "The demo estate is already loaded: nothing changed."
        parts = []
        for model, count in self.created.items():
            meta = model._meta
            parts.append(f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}")
        return f"Loaded the demo estate: created {', '.join(parts)}."


class _Loader:
    """Finds each demo row by its natural key and creates only what is missing, validated."""

    def __init__(self) -> None:
        self.result = DemoResult()

    def _count(self, model: type[models.Model]) -> None:
        self.result.created[model] += 1

    def ensure(self, model_class: type[ModelT], lookup: dict[str, Any], /, **fields: Any) -> ModelT:
        instance, created = row_ensure(model_class, lookup, **fields)
        if created:
            self._count(model_class)
        return instance

    def ensure_virtual(
        self,
        lpar: Lpar,
        slot: int,
        *,
        vlans: list[Vlan] | None = None,
        wwpns: list[str] | None = None,
        wwpn_fabrics: list[Fabric] | None = None,
        **fields: Any,
    ) -> VirtualAdapter:
        adapter = VirtualAdapter.objects.filter(lpar=lpar, slot=slot).first()
        if adapter is None:
            adapter = virtual_adapter_save(
                adapter=VirtualAdapter(lpar=lpar, slot=slot, **fields),
                vlans=vlans,
                wwpns=wwpns,
                wwpn_fabrics=wwpn_fabrics,
            )
            self._count(VirtualAdapter)
            if wwpns:
                self.result.created[Wwpn] += len(wwpns)
        return adapter

    def ensure_port_wwpn(self, port: Port, value: str, fabric: Fabric) -> None:
        if not Wwpn.objects.filter(port=port).exists():
            port_wwpn_set(port=port, value=value, fabric=fabric)
            self._count(Wwpn)

    def ensure_storage_wwpn(self, storage_port: StoragePort, value: str) -> None:
        if not Wwpn.objects.filter(storage_port=storage_port).exists():
            storage_port_wwpn_set(storage_port=storage_port, value=value)
            self._count(Wwpn)


def _hex(value: int, digits: int) -> str:
    return f"{value:0{digits}x}"


def _san_load(loader: _Loader) -> tuple[dict[str, Fabric], dict[int, Vlan]]:
    fabrics = {
        "FAB_A": loader.ensure(
            Fabric,
            {"name": "FAB_A"},
            side=FabricSide.A,
            vendor=FabricVendor.BROCADE,
            zoneset_name="cfg_FAB_A",
        ),
        "FAB_B": loader.ensure(
            Fabric,
            {"name": "FAB_B"},
            side=FabricSide.B,
            vendor=FabricVendor.CISCO,
            vsan=200,
            zoneset_name="zs_FAB_B",
        ),
    }
    for port_name, fabric, wwpn in STORAGE_PORTS:
        port = loader.ensure(
            StoragePort, {"array": STORAGE_ARRAY, "name": port_name}, fabric=fabrics[fabric]
        )
        loader.ensure_storage_wwpn(port, wwpn)
    vlans = {
        vlan_id: loader.ensure(Vlan, {"vlan_id": vlan_id}, name=name)
        for vlan_id, name in VLANS.items()
    }
    return fabrics, vlans


@dataclass
class _FrameContext:
    """What a frame's clients are wired to."""

    frame: Frame
    pool: SharedProcessorPool
    vioses: dict[str, Lpar]
    fabrics: dict[str, Fabric]
    vlans: dict[int, Vlan]
    # Per VIOS, its FC ports on its fabric in card order: its vFC servers map onto them.
    fabric_ports: dict[str, list[Port]]


def _frame_load(
    loader: _Loader, spec: DemoFrame, hmc: Hmc, fabrics: dict[str, Fabric], vlans: dict[int, Vlan]
) -> None:
    frame = loader.ensure(
        Frame,
        {"name": spec.name},
        machine_type="8233",
        model="E8B",
        serial=spec.serial,
        hmc=hmc,
        processor_generation=ProcessorGeneration.POWER7,
        compat_modes=["default", "POWER6", "POWER6+", "POWER7"],
        proc_units=Decimal("32"),
        memory_mb=256 * 1024,
        firmware_level="AM780_084",
    )
    pool = loader.ensure(SharedProcessorPool, {"frame": frame, "pool_id": 0}, name="DefaultPool")
    vioses = {
        name: loader.ensure(
            Lpar,
            {"frame": frame, "name": name},
            lpar_id=lpar_id,
            kind=LparKind.VIOS,
            state=LparState.RUNNING,
            proc_units=Decimal("1.0"),
            virtual_procs=2,
            memory_mb=8192,
            shared_pool=pool,
            msp=True,
            profile_name="default",
        )
        for lpar_id, name in ((1, "vios1"), (2, "vios2"))
    }
    context = _FrameContext(frame, pool, vioses, fabrics, vlans, {name: [] for name in vioses})
    _hardware_load(loader, spec, context)
    for priority, vios in enumerate(vioses.values(), start=1):
        loader.ensure_virtual(
            vios,
            ETHERNET_SLOT,
            kind=VirtualAdapterKind.ETHERNET,
            role=VirtualAdapterRole.TRUNK,
            pvid=vlans[TRUNK_PVID],
            vswitch=VSWITCH,
            trunk_priority=priority,
            device_name="ent2",
            vlans=[v for vid, v in vlans.items() if vid != TRUNK_PVID],
        )
    clients = [c for c in CLIENTS if c.frame == spec.name]
    for index, client in enumerate(clients):
        _client_load(loader, context, client, index, spec.npiv_base + 4 * index)


def _hardware_load(loader: _Loader, spec: DemoFrame, context: _FrameContext) -> None:
    drawers = {
        "cec": loader.ensure(
            Drawer,
            {"frame": context.frame, "location": spec.cec_location},
            kind=DrawerKind.CEC,
            position="CEC drawer 1",
        ),
        "io": loader.ensure(
            Drawer,
            {"frame": context.frame, "location": spec.io_location},
            kind=DrawerKind.IO,
            position="I/O drawer 1",
        ),
    }
    fc_wwpn, mac = spec.fc_base, spec.mac_base
    for index, (drawer, location, kind, owner) in enumerate(CARDS):
        slot = loader.ensure(
            Slot,
            {"drawer": drawers[drawer], "location": location},
            bus=index + 1,
            drc_index=f"2101{index + 1:04X}",
        )
        if kind is None or owner is None:  # an empty slot
            continue
        feature_code, description = FEATURE_CODES[kind]
        adapter = loader.ensure(
            Adapter,
            {"slot": slot},
            kind=kind,
            feature_code=feature_code,
            description=description,
            owner=context.vioses[owner],
        )
        for port_name, fabric_name in (("T1", "FAB_A"), ("T2", "FAB_B")):
            lookup = {"adapter": adapter, "name": port_name}
            if kind == AdapterKind.ETHERNET:
                loader.ensure(Port, lookup, mac=_hex(mac, 12), speed_gbps=1)
                mac += 1
                continue
            port = loader.ensure(Port, lookup, speed_gbps=8)
            loader.ensure_port_wwpn(port, _hex(fc_wwpn, 16), context.fabrics[fabric_name])
            fc_wwpn += 1
            if fabric_name == VIOS_FABRIC[owner]:
                context.fabric_ports[owner].append(port)


def _client_load(
    loader: _Loader, context: _FrameContext, client: DemoClient, index: int, npiv: int
) -> None:
    dedicated = client.proc_mode == ProcMode.DEDICATED
    lpar = loader.ensure(
        Lpar,
        {"frame": context.frame, "name": client.name},
        lpar_id=client.lpar_id,
        kind=client.kind,
        state=client.state,
        proc_mode=client.proc_mode,
        proc_units=Decimal(client.proc_units),
        virtual_procs=client.virtual_procs,
        memory_mb=client.memory_mb,
        compat_mode=client.compat_mode,
        shared_pool=None if dedicated else context.pool,
        profile_name="default",
    )
    loader.ensure_virtual(
        lpar,
        ETHERNET_SLOT,
        kind=VirtualAdapterKind.ETHERNET,
        pvid=context.vlans[client.vlan],
        vswitch=VSWITCH,
        device_name="ent0",
    )
    # The same disks, in the same order, behind both VIOS: the client's MPIO paths.
    disks = [f"hdisk{2 + 2 * index}", f"hdisk{3 + 2 * index}"]
    # A demo VIOS serves client LPAR id N in slots 200+N (vSCSI) and 600+N (vFC): the slot names
    # the client. (The synthetic estate numbers by position: its ids run into the thousands.)
    vscsi_server = VSCSI_SERVER_BASE + client.lpar_id
    vfc_server = VFC_SERVER_BASE + client.lpar_id
    for number, (vios_name, vios) in enumerate(context.vioses.items()):
        client_vscsi, client_vfc = CLIENT_VSCSI_SLOTS[number], CLIENT_VFC_SLOTS[number]
        loader.ensure_virtual(
            lpar,
            client_vscsi,
            kind=VirtualAdapterKind.VSCSI,
            remote_lpar=vios,
            remote_slot=vscsi_server,
            device_name=f"vscsi{number}",
        )
        loader.ensure_virtual(
            vios,
            vscsi_server,
            kind=VirtualAdapterKind.VSCSI,
            role=VirtualAdapterRole.SERVER,
            remote_lpar=lpar,
            remote_slot=client_vscsi,
            backing_devices=disks,
            device_name=f"vhost{index}",
        )
        ports = context.fabric_ports[vios_name]
        fabric = context.fabrics[VIOS_FABRIC[vios_name]]
        pair = [_hex(npiv + 2 * number, 16), _hex(npiv + 2 * number + 1, 16)]
        loader.ensure_virtual(
            lpar,
            client_vfc,
            kind=VirtualAdapterKind.VFC,
            remote_lpar=vios,
            remote_slot=vfc_server,
            device_name=f"fcs{number}",
            wwpns=pair,
            wwpn_fabrics=[fabric, fabric],
        )
        loader.ensure_virtual(
            vios,
            vfc_server,
            kind=VirtualAdapterKind.VFC,
            role=VirtualAdapterRole.SERVER,
            remote_lpar=lpar,
            remote_slot=client_vfc,
            physical_port=ports[index % len(ports)],
            device_name=f"vfchost{index}",
        )


def simulator_host_key() -> asyncssh.SSHKey:
    """The HMC simulator's host key, generated on first use and kept in the var directory, so
    that the demo HMC can pin it and `make run` needs no trust step."""
    path = settings.VAR_DIR / SIMULATOR_HOST_KEY_FILE
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        path.touch(mode=0o600)
        path.write_bytes(key.export_private_key())
    return asyncssh.read_private_key(str(path))


def simulator_known_hosts_line() -> str:
    key = simulator_host_key().export_public_key("openssh").decode().strip()
    return f"[{DEMO_HMC_HOST}]:{DEMO_HMC_PORT} {key}"


@transaction.atomic
def demo_estate_load() -> DemoResult:
    """Create whatever part of the demo estate is missing; rows already there are left as they
    are (a planner may have edited them). Running it again changes nothing."""
    loader = _Loader()
    hmc = loader.ensure(
        Hmc,
        {"name": DEMO_HMC_NAME},
        host=DEMO_HMC_HOST,
        ssh_port=DEMO_HMC_PORT,
        username="hscroot",
        password=DEMO_HMC_PASSWORD,
        host_key=simulator_known_hosts_line(),
    )
    fabrics, vlans = _san_load(loader)
    for spec in FRAMES:
        _frame_load(loader, spec, hmc, fabrics, vlans)
    for name, target in EVACUATION_TARGETS.items():
        frame = Frame.objects.get(name=name)
        if frame.evacuation_target_id is None:
            frame.evacuation_target = Frame.objects.get(name=target)
            frame.full_clean()
            frame.save(update_fields=["evacuation_target"])
    return loader.result
