"""A large synthetic estate for benchmarks (`seed_estate`): valid by construction, written with
bulk_create in batches, which skips per-row validation and the change history for speed."""

import math
import random
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Max

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
    WwpnKind,
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
from inventory.services import ModelT, object_save, storage_port_wwpn_set

BATCH_SIZE = 2000
FRAMES_PER_CHUNK = 20  # frames built in memory at once: bounds memory, keeps batches full
FRAMES_PER_HMC = 32
NPIV_PER_PORT = 64  # vFC clients one physical FC port logs in (≤16 Gb adapters)
FC_CARDS_PER_VIOS = 2
# Each VIOS maps its vFC clients onto one port of each of its FC cards.
MAX_LPARS_PER_FRAME = FC_CARDS_PER_VIOS * NPIV_PER_PORT
MAX_LPAR_ID = 32767
# Client ids start above 99 on an empty estate, leaving the low ids to hand-made LPARs (the demo
# uses 10–22), so that `seed_demo` still loads after `seed_estate`.
FIRST_CLIENT_ID = 100
VSWITCH = "ETHERNET0"
TRUNK_PVID = 1
CLIENT_VLANS = tuple(range(1000, 1020))
VIOS_PROC_UNITS = Decimal("1.0")
VIOS_MEMORY_MB = 8192
# The enumeration scheme: client Ethernet 10, vSCSI 210/220 and vFC 610/620 (one per VIOS); a VIOS
# serves the k-th client of its frame in slots 200+k (vSCSI) and 600+k (vFC); trunks in slot 10.
ETHERNET_SLOT = 10
CLIENT_VSCSI_SLOTS = (210, 220)
CLIENT_VFC_SLOTS = (610, 620)
VSCSI_SERVER_BASE = 200
VFC_SERVER_BASE = 600
# Identifier ranges of synthetic rows, disjoint from the demo's: counters continue after the
# highest value already in each range, so a second run never clashes with the first.
NPIV_RANGE = ("c05076f", 16)
PHYSICAL_RANGE = ("10000000c9f", 16)
STORAGE_RANGE = ("500507680cf", 16)
MAC_RANGE = ("00145ef", 12)
FRAME_NAME = re.compile(r"^sim-(\d+)$")
HMC_NAME = re.compile(r"^simhmc(\d+)$")
ARRAY_NAME = re.compile(r"^simfs(\d+)$")
CLIENT_NAME = re.compile(r"^lp(\d+)$")


class EstateSeedError(Exception):
    """The estate cannot be added without breaking a rule; the message says which."""


@dataclass(frozen=True)
class FrameModel:
    generation: str
    machine_type: str
    model: str
    cec_unit: str  # the CEC enclosure's type.model in unit location codes
    compat_modes: tuple[str, ...]
    firmware_level: str


FRAME_MODELS = (
    FrameModel(
        ProcessorGeneration.POWER8,
        "8286",
        "42A",
        "78CB.001",
        ("default", "POWER7", "POWER8"),
        "SV860_245",
    ),
    FrameModel(
        ProcessorGeneration.POWER9,
        "9009",
        "42A",
        "78D3.001",
        ("default", "POWER7", "POWER8", "POWER9_base", "POWER9"),
        "VL950_161",
    ),
    FrameModel(
        ProcessorGeneration.POWER10,
        "9105",
        "42A",
        "78DA.ND0",
        ("default", "POWER8", "POWER9_base", "POWER9", "Power10"),
        "ML1060_080",
    ),
)
IO_DRAWER_UNIT = "78C9.001"  # the PCIe Gen3 I/O expansion drawer (EMX0)
SHARED_UNITS = tuple(Decimal(u) for u in ("0.1", "0.2", "0.25", "0.5", "0.75", "1.0", "1.5", "2.0"))
MEMORY_SIZES_MB = (2048, 4096, 8192, 16384, 32768)


@dataclass(frozen=True)
class _ClientPlan:
    kind: str
    proc_mode: str
    proc_units: Decimal
    virtual_procs: int
    memory_mb: int
    compat_mode: str
    state: str
    pvid: int


@dataclass
class EstateResult:
    """What one `estate_seed` call added."""

    frames: int = 0
    hmcs: int = 0
    lpars: int = 0
    clients: int = 0
    virtual_adapters: int = 0
    wwpns: int = 0
    ports: int = 0
    first_frame: str = ""
    last_frame: str = ""
    client_ids: tuple[int, int] | None = None
    ids_reused: bool = False  # ids ran out: reused across frames, listed by the estate check
    id_range: tuple[int, int] = (MAX_LPAR_ID + 1, 0)
    seconds: float = 0.0

    def summary(self) -> str:
        reused = " (reused across frames)" if self.ids_reused else ""
        ids = ""
        if self.clients and self.client_ids is not None:
            ids = f"client LPAR ids {self.client_ids[0]}–{self.client_ids[1]}{reused}, "
        return (
            f"Added {self.frames} frames ({self.first_frame} … {self.last_frame}) on "
            f"{self.hmcs} new HMC(s), {self.lpars} LPARs ({self.clients} clients, "
            f"{self.lpars - self.clients} VIOS), {ids}{self.virtual_adapters} virtual adapters, "
            f"{self.ports} physical ports, {self.wwpns} WWPNs in {self.seconds:.1f} s."
        )


def _bulk(objects: list[ModelT]) -> list[ModelT]:
    if objects:
        type(objects[0])._default_manager.bulk_create(objects, batch_size=BATCH_SIZE)
    return objects


def row_ensure(
    model_class: type[ModelT], lookup: dict[str, Any], /, **fields: Any
) -> tuple[ModelT, bool]:
    """The row with these natural-key values, or a new one with `fields` too, validated and
    saved; and whether it was created. An existing row is left as it is."""
    # Positional-only parameters: a Frame has a field called `model`.
    instance = model_class._default_manager.filter(**lookup).first()
    if instance is not None:
        return instance, False
    return object_save(instance=model_class(**lookup, **fields)), True


def _next_number(queryset: Iterable[str], pattern: re.Pattern[str]) -> int:
    """One more than the highest number in the names that match `pattern`."""
    numbers = [int(m.group(1)) for n in queryset if (m := pattern.match(n))]
    return max(numbers, default=0) + 1


class _Counter:
    """Hands out identifiers (WWPNs, MACs) in a hex range, after the highest one in use."""

    def __init__(self, prefix: str, digits: int, highest: str | None) -> None:
        self.base = int(prefix, 16) << (4 * (digits - len(prefix)))
        self.limit = self.base + (1 << (4 * (digits - len(prefix))))
        self.digits = digits
        self.next = int(highest, 16) + 1 if highest else self.base

    def reserve(self, count: int) -> None:
        if self.next + count > self.limit:
            raise EstateSeedError(
                f"The synthetic range {self.base:0{self.digits}x}… has no room for {count} more "
                "identifiers."
            )

    def take(self) -> str:
        value = f"{self.next:0{self.digits}x}"
        self.next += 1
        return value

    def take_pair(self) -> list[str]:
        # NPIV pairs are consecutive and start on an even number, as the HMC hands them out.
        self.next += self.next % 2
        return [self.take(), self.take()]


class _EstateBuilder:
    def __init__(self, *, frames: int, lpars_per_frame: int, seed: int) -> None:
        if frames < 1:
            raise EstateSeedError("Ask for at least one frame.")
        if not 0 <= lpars_per_frame <= MAX_LPARS_PER_FRAME:
            raise EstateSeedError(
                f"A synthetic frame holds 0 to {MAX_LPARS_PER_FRAME} client LPARs: each VIOS maps "
                f"its vFC clients onto {FC_CARDS_PER_VIOS} FC ports of {NPIV_PER_PORT} NPIV logins."
            )
        self.frames, self.lpars_per_frame = frames, lpars_per_frame
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        self.result = EstateResult()

    def _counter(
        self,
        queryset: models.QuerySet[Any] | models.Manager[Any],
        field: str,
        span: tuple[str, int],
    ) -> _Counter:
        prefix, digits = span
        highest = queryset.filter(**{f"{field}__startswith": prefix}).aggregate(top=Max(field))
        return _Counter(prefix, digits, highest["top"])

    def _allocate(self) -> None:
        """Choose names, ids and identifier ranges after everything already in the estate."""
        count = self.frames * self.lpars_per_frame
        self.first_frame = _next_number(Frame.objects.values_list("name", flat=True), FRAME_NAME)
        highest_client = (
            Lpar.objects.exclude(kind=LparKind.VIOS).aggregate(top=Max("lpar_id"))["top"] or 0
        )
        self.next_client_id = max(highest_client + 1, FIRST_CLIENT_ID)
        if self.next_client_id + count - 1 > MAX_LPAR_ID:
            # More clients than ids (LPAR ids stop at 32767): the numbering wraps round to
            # FIRST_CLIENT_ID and reuses ids on other frames, as a real estate past its scheme
            # does (an HMC numbers LPARs per frame); the estate check lists each reused id.
            if self.lpars_per_frame > MAX_LPAR_ID - FIRST_CLIENT_ID + 1:
                raise EstateSeedError("A frame cannot hold that many client LPAR ids.")
            self.result.ids_reused = True
        # Names stay unique across the estate: lpNNNNN after the highest one, the id when it
        # is not reused.
        self.next_client_number = max(
            self.next_client_id,
            _next_number(
                Lpar.objects.filter(name__startswith="lp").values_list("name", flat=True),
                CLIENT_NAME,
            ),
        )
        self.npiv = self._counter(Wwpn.objects, "value", NPIV_RANGE)
        self.physical = self._counter(Wwpn.objects, "value", PHYSICAL_RANGE)
        self.storage = self._counter(Wwpn.objects, "value", STORAGE_RANGE)
        self.macs = self._counter(Port.objects, "mac", MAC_RANGE)
        self.npiv.reserve(4 * count + 1)  # the first pair may skip one value to start even
        self.physical.reserve(self.frames * 2 * FC_CARDS_PER_VIOS * 2)
        self.storage.reserve(4)
        self.macs.reserve(self.frames * 4)
        # Every synthetic model is a 42A; its machine type is drawn later, so any 42A frame with
        # one of the serials would be a clash.
        serials = {self._serial(self.first_frame + n) for n in range(self.frames)}
        taken = [f.mtms for f in Frame.objects.filter(serial__in=serials, model="42A")]
        if taken:
            raise EstateSeedError(f"Frames with these serials exist already: {', '.join(taken)}.")

    @staticmethod
    def _frame_name(number: int) -> str:
        return f"sim-{number:05d}"

    @staticmethod
    def _serial(number: int) -> str:
        return f"S{number:06d}"

    def _shared_rows(self) -> None:
        """The few rows every synthetic frame shares, created through model validation."""
        self.fabrics = [
            row_ensure(
                Fabric,
                {"name": "SIM_FAB_A"},
                side=FabricSide.A,
                vendor=FabricVendor.BROCADE,
                zoneset_name="cfg_SIM_FAB_A",
            )[0],
            row_ensure(
                Fabric,
                {"name": "SIM_FAB_B"},
                side=FabricSide.B,
                vendor=FabricVendor.CISCO,
                vsan=300,
                zoneset_name="zs_SIM_FAB_B",
            )[0],
        ]
        self.trunk_vlans = [
            row_ensure(Vlan, {"vlan_id": vid}, name=f"sim{vid}")[0] for vid in CLIENT_VLANS
        ]
        row_ensure(Vlan, {"vlan_id": TRUNK_PVID}, name="default")
        number = _next_number(StoragePort.objects.values_list("array", flat=True), ARRAY_NAME)
        array = f"simfs{number}"
        for node in (1, 2):
            for fabric in self.fabrics:
                port = object_save(
                    instance=StoragePort(array=array, name=f"N{node}{fabric.side}", fabric=fabric)
                )
                storage_port_wwpn_set(storage_port=port, value=self.storage.take())
                self.result.wwpns += 1
        first_hmc = _next_number(Hmc.objects.values_list("name", flat=True), HMC_NAME)
        self.hmcs = [
            object_save(instance=Hmc(name=f"simhmc{n:03d}", host=f"10.99.{n // 250}.{n % 250 + 1}"))
            for n in range(first_hmc, first_hmc + math.ceil(self.frames / FRAMES_PER_HMC))
        ]
        self.result.hmcs = len(self.hmcs)

    def _client_plan(self, frame_model: FrameModel) -> _ClientPlan:
        rng = self.rng
        kind = rng.choices((LparKind.AIX, LparKind.LINUX, LparKind.IBMI), weights=(6, 3, 1))[0]
        if rng.random() < 0.05:
            procs = rng.choice((1, 2, 4))
            mode, units = ProcMode.DEDICATED, Decimal(procs)
        else:
            mode, units = ProcMode.SHARED, rng.choice(SHARED_UNITS)
            # Up to one spare virtual processor: at least 0.05 units each still holds.
            procs = math.ceil(units) + rng.choice((0, 1))
        return _ClientPlan(
            kind=kind,
            proc_mode=mode,
            proc_units=units,
            virtual_procs=procs,
            memory_mb=rng.choice(MEMORY_SIZES_MB),
            compat_mode=rng.choice(frame_model.compat_modes),
            state=LparState.RUNNING if rng.random() < 0.85 else LparState.NOT_ACTIVATED,
            pvid=rng.choice(CLIENT_VLANS),
        )

    def build(self) -> EstateResult:
        started = time.perf_counter()
        self._allocate()
        self._shared_rows()
        numbers = range(self.first_frame, self.first_frame + self.frames)
        for start in range(0, self.frames, FRAMES_PER_CHUNK):
            self._chunk_build(numbers[start : start + FRAMES_PER_CHUNK])
        self.result.first_frame = self._frame_name(numbers[0])
        self.result.last_frame = self._frame_name(numbers[-1])
        if self.result.clients:
            self.result.client_ids = self.result.id_range
        if connection.vendor == "postgresql":
            # Autovacuum would gather statistics on the new rows within minutes; until then
            # the planner takes the big tables for empty and nests loops over them.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.result.seconds = time.perf_counter() - started
        return self.result

    def _chunk_build(self, numbers: range) -> None:
        plans = []
        for number in numbers:
            frame_model = self.rng.choice(FRAME_MODELS)
            clients = [self._client_plan(frame_model) for _ in range(self.lpars_per_frame)]
            plans.append((number, frame_model, clients))
        frames = _bulk([self._frame(number, model, clients) for number, model, clients in plans])
        pools = _bulk(
            [SharedProcessorPool(frame_id=f.pk, pool_id=0, name="DefaultPool") for f in frames]
        )
        lpars = _bulk(
            [
                lpar
                for frame, pool, (_, _, clients) in zip(frames, pools, plans, strict=True)
                for lpar in self._lpars(frame, pool, clients)
            ]
        )
        size = 2 + self.lpars_per_frame
        per_frame = [lpars[i * size : (i + 1) * size] for i in range(len(frames))]
        fabric_ports = self._hardware(frames, [model for _, model, _ in plans], per_frame)
        self._virtual(per_frame, fabric_ports, [clients for _, _, clients in plans])
        self.result.frames += len(frames)
        self.result.lpars += len(lpars)
        self.result.clients += len(frames) * self.lpars_per_frame

    def _frame(self, number: int, frame_model: FrameModel, clients: list[_ClientPlan]) -> Frame:
        # Installed capacity a quarter above what the LPARs are entitled to, in whole 4-core
        # steps and 64 GB steps, as a sized frame would be.
        units = sum(c.proc_units for c in clients) + 2 * VIOS_PROC_UNITS
        memory = sum(c.memory_mb for c in clients) + 2 * VIOS_MEMORY_MB
        return Frame(
            name=self._frame_name(number),
            machine_type=frame_model.machine_type,
            model=frame_model.model,
            serial=self._serial(number),
            hmc_id=self.hmcs[(number - self.first_frame) // FRAMES_PER_HMC].pk,
            processor_generation=frame_model.generation,
            compat_modes=list(frame_model.compat_modes),
            proc_units=Decimal(4 * math.ceil(float(units) * 1.25 / 4)),
            memory_mb=65536 * math.ceil(memory * 1.25 / 65536),
            firmware_level=frame_model.firmware_level,
        )

    def _lpars(
        self, frame: Frame, pool: SharedProcessorPool, clients: list[_ClientPlan]
    ) -> list[Lpar]:
        lpars = [
            Lpar(
                frame_id=frame.pk,
                name=f"{frame.name}-vios{n}",
                lpar_id=n,
                kind=LparKind.VIOS,
                state=LparState.RUNNING,
                proc_units=VIOS_PROC_UNITS,
                virtual_procs=2,
                memory_mb=VIOS_MEMORY_MB,
                shared_pool_id=pool.pk,
                msp=True,
                profile_name="default",
            )
            for n in (1, 2)
        ]
        for plan in clients:
            lpar_id = self.next_client_id
            self.next_client_id = lpar_id + 1 if lpar_id < MAX_LPAR_ID else FIRST_CLIENT_ID
            number = self.next_client_number
            self.next_client_number += 1
            self.result.id_range = (
                min(lpar_id, self.result.id_range[0]),
                max(lpar_id, self.result.id_range[1]),
            )
            dedicated = plan.proc_mode == ProcMode.DEDICATED
            lpars.append(
                Lpar(
                    frame_id=frame.pk,
                    name=f"lp{number:05d}",
                    lpar_id=lpar_id,
                    kind=plan.kind,
                    state=plan.state,
                    proc_mode=plan.proc_mode,
                    proc_units=plan.proc_units,
                    virtual_procs=plan.virtual_procs,
                    memory_mb=plan.memory_mb,
                    compat_mode=plan.compat_mode,
                    shared_pool_id=None if dedicated else pool.pk,
                    profile_name="default",
                )
            )
        return lpars

    def _hardware(
        self, frames: list[Frame], frame_models: list[FrameModel], per_frame: list[list[Lpar]]
    ) -> list[tuple[list[Port], list[Port]]]:
        """Drawers, slots, cards and ports of each frame; per frame, for each VIOS, the FC ports
        on its own fabric (vios1: A, vios2: B) that its vFC servers map onto."""
        drawers, slots, cards = [], [], []
        for frame, frame_model in zip(frames, frame_models, strict=True):
            serial = frame.serial[1:]
            cec = Drawer(
                frame_id=frame.pk,
                kind=DrawerKind.CEC,
                position="CEC",
                location=f"U{frame_model.cec_unit}.C{serial}",
            )
            io = Drawer(
                frame_id=frame.pk,
                kind=DrawerKind.IO,
                position="I/O drawer 1",
                location=f"U{IO_DRAWER_UNIT}.E{serial}",
            )
            drawers += [cec, io]
        _bulk(drawers)
        for index, lpars in enumerate(per_frame):
            cec, io = drawers[2 * index : 2 * index + 2]
            vioses = lpars[:2]
            for card in range(2 * FC_CARDS_PER_VIOS):
                slot = Slot(drawer=cec, location=f"P1-C{card + 1}", bus=card + 1)
                slots.append(slot)
                cards.append((slot, AdapterKind.FC, vioses[card // FC_CARDS_PER_VIOS]))
            for position in range(6):
                slot = Slot(drawer=io, location=f"P1-C{position + 1}", bus=16 + position)
                slots.append(slot)
                if position < 2:
                    cards.append((slot, AdapterKind.ETHERNET, vioses[position]))
        _bulk(slots)
        adapters = _bulk(
            [
                Adapter(
                    slot_id=slot.pk,
                    kind=kind,
                    owner_id=owner.pk,
                    feature_code="EN0A" if kind == AdapterKind.FC else "EN0W",
                )
                for slot, kind, owner in cards
            ]
        )
        ports, wwpns = [], []
        fabric_ports: dict[int, list[Port]] = {}
        for adapter, (_, kind, owner) in zip(adapters, cards, strict=True):
            # Port T1 is on fabric A, T2 on fabric B.
            for number, fabric in enumerate(self.fabrics, start=1):
                name = f"T{number}"
                if kind == AdapterKind.ETHERNET:
                    ports.append(
                        Port(adapter=adapter, name=name, mac=self.macs.take(), speed_gbps=10)
                    )
                    continue
                port = Port(adapter=adapter, name=name, speed_gbps=16)
                ports.append(port)
                wwpns.append((port, fabric))
                if owner.lpar_id == number:
                    fabric_ports.setdefault(owner.pk, []).append(port)
        _bulk(ports)
        _bulk(
            [
                Wwpn(
                    value=self.physical.take(),
                    kind=WwpnKind.PHYSICAL,
                    port_id=port.pk,
                    fabric_id=fabric.pk,
                )
                for port, fabric in wwpns
            ]
        )
        self.result.ports += len(ports)
        self.result.wwpns += len(wwpns)
        return [(fabric_ports[v1.pk], fabric_ports[v2.pk]) for v1, v2, *_ in per_frame]

    def _virtual(
        self,
        per_frame: list[list[Lpar]],
        fabric_ports: list[tuple[list[Port], list[Port]]],
        plans: list[list[_ClientPlan]],
    ) -> None:
        """The VIOS trunks, each client's adapters and the VIOS server adapters that serve them."""
        adapters: list[VirtualAdapter] = []
        trunks: list[VirtualAdapter] = []
        vfc_clients: list[tuple[VirtualAdapter, Fabric]] = []
        for lpars, ports, clients in zip(per_frame, fabric_ports, plans, strict=True):
            vioses = lpars[:2]
            for priority, vios in enumerate(vioses, start=1):
                trunks.append(
                    VirtualAdapter(
                        lpar_id=vios.pk,
                        kind=VirtualAdapterKind.ETHERNET,
                        role=VirtualAdapterRole.TRUNK,
                        slot=ETHERNET_SLOT,
                        pvid_id=TRUNK_PVID,
                        vswitch=VSWITCH,
                        trunk_priority=priority,
                        device_name="ent2",
                    )
                )
            for k, (client, plan) in enumerate(zip(lpars[2:], clients, strict=True), start=1):
                adapters.append(
                    VirtualAdapter(
                        lpar_id=client.pk,
                        kind=VirtualAdapterKind.ETHERNET,
                        slot=ETHERNET_SLOT,
                        pvid_id=plan.pvid,
                        vswitch=VSWITCH,
                        device_name="ent0",
                    )
                )
                for n, vios in enumerate(vioses):
                    adapters += self._pair_vscsi(client, vios, n, k)
                    vfc_client, vfc_server = self._pair_vfc(client, vios, n, k, ports[n])
                    adapters += [vfc_client, vfc_server]
                    vfc_clients.append((vfc_client, self.fabrics[n]))
        _bulk(trunks + adapters)
        through = VirtualAdapter.vlans.through
        _bulk(
            [
                through(virtualadapter_id=trunk.pk, vlan_id=vlan.pk)
                for trunk in trunks
                for vlan in self.trunk_vlans
            ]
        )
        wwpns = []
        for adapter, fabric in vfc_clients:
            for position, value in enumerate(self.npiv.take_pair(), start=1):
                kind = WwpnKind.NPIV_PRIMARY if position == 1 else WwpnKind.NPIV_SECONDARY
                wwpns.append(
                    Wwpn(
                        value=value,
                        kind=kind,
                        virtual_adapter_id=adapter.pk,
                        position=position,
                        fabric_id=fabric.pk,
                    )
                )
        _bulk(wwpns)
        self.result.virtual_adapters += len(trunks) + len(adapters)
        self.result.wwpns += len(wwpns)

    @staticmethod
    def _pair_vscsi(client: Lpar, vios: Lpar, n: int, k: int) -> list[VirtualAdapter]:
        """Client vSCSI slot 210/220 and the VIOS's server slot 200+k, with the same disks in the
        same order behind both VIOS."""
        client_slot, server_slot = CLIENT_VSCSI_SLOTS[n], VSCSI_SERVER_BASE + k
        return [
            VirtualAdapter(
                lpar_id=client.pk,
                kind=VirtualAdapterKind.VSCSI,
                slot=client_slot,
                remote_lpar_id=vios.pk,
                remote_slot=server_slot,
                device_name=f"vscsi{n}",
            ),
            VirtualAdapter(
                lpar_id=vios.pk,
                kind=VirtualAdapterKind.VSCSI,
                role=VirtualAdapterRole.SERVER,
                slot=server_slot,
                remote_lpar_id=client.pk,
                remote_slot=client_slot,
                backing_devices=[f"hdisk{2 * k}", f"hdisk{2 * k + 1}"],
                device_name=f"vhost{k - 1}",
            ),
        ]

    @staticmethod
    def _pair_vfc(
        client: Lpar, vios: Lpar, n: int, k: int, ports: list[Port]
    ) -> tuple[VirtualAdapter, VirtualAdapter]:
        """Client vFC slot 610/620 and the VIOS's server slot 600+k, mapped to one of the VIOS's
        FC ports on its fabric, spread evenly so no port passes its NPIV login limit."""
        client_slot, server_slot = CLIENT_VFC_SLOTS[n], VFC_SERVER_BASE + k
        return (
            VirtualAdapter(
                lpar_id=client.pk,
                kind=VirtualAdapterKind.VFC,
                slot=client_slot,
                remote_lpar_id=vios.pk,
                remote_slot=server_slot,
                device_name=f"fcs{n}",
            ),
            VirtualAdapter(
                lpar_id=vios.pk,
                kind=VirtualAdapterKind.VFC,
                role=VirtualAdapterRole.SERVER,
                slot=server_slot,
                remote_lpar_id=client.pk,
                remote_slot=client_slot,
                physical_port_id=ports[k % len(ports)].pk,
                device_name=f"vfchost{k - 1}",
            ),
        )


@transaction.atomic
def estate_seed(*, frames: int, lpars_per_frame: int, seed: int = 1) -> EstateResult:
    """Add `frames` synthetic frames (`sim-NNNNN`), each with a VIOS pair (ids 1 and 2) and
    `lpars_per_frame` client LPARs wired to both VIOS, after whatever the estate holds.

    Deterministic for a given `seed` and starting estate. The shared rows (fabrics, VLANs, HMCs,
    a storage array) are validated and recorded in the history; the bulk rows are not: they are
    valid by construction, and `tests/inventory/test_seed.py` checks that with `full_clean()`.
    """
    return _EstateBuilder(frames=frames, lpars_per_frame=lpars_per_frame, seed=seed).build()
