"""The sheets of the planning workbook and their columns: people's names for them, the synonyms
an old spreadsheet may use, what each holds, and which identify a row (the natural key)."""

import functools
import re
from dataclasses import dataclass, field

from django.db import models

from inventory import choices
from inventory.models import (
    Drawer,
    Fabric,
    Frame,
    Lpar,
    Port,
    SharedProcessorPool,
    Slot,
    StoragePort,
    VirtualAdapter,
    Vlan,
)


@functools.cache
def _labels(choices: type[models.TextChoices]) -> dict[str, str]:
    return dict(choices.choices)


ID = "id"
TEXT = "text"  # names and identifiers: a number or a date in the cell is refused
FREE = "free"  # descriptions and notes: a number is taken as its text
INT = "int"
DECIMAL = "decimal"
BOOL = "bool"
CHOICE = "choice"
LIST = "list"  # comma-separated names
NUMBERS = "numbers"  # comma-separated whole numbers (VLAN ids)


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str = TEXT
    required: bool = False
    choices: type[models.TextChoices] | None = None
    synonyms: tuple[str, ...] = ()
    help: str = ""
    error_fields: tuple[str, ...] = ()  # the model's error keys reported under this column

    @property
    def labels(self) -> dict[str, str]:
        """Database value → the label the workbook shows (and its dropdown offers)."""
        return _labels(self.choices) if self.choices else {}


@dataclass(frozen=True)
class SheetSpec:
    title: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    help: str
    synonyms: tuple[str, ...] = ()
    by_key: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {c.key: c for c in self.columns})

    def column_for_error(self, name: str) -> Column | None:
        for column in self.columns:
            if name == column.key or name in column.error_fields:
                return column
        return None


def normalized(header: object) -> str:
    """Headers and sheet names match ignoring case, spaces, underscores and dashes."""
    return re.sub(r"[\s_\-]+", "", str(header or "")).lower()


IDENTITY = Column(
    "id",
    ID,
    ID,
    synonyms=("database id",),
    help="lpmplanner's id of the row: keep it to update the row (a rename too); leave it "
    "empty for a new row. Rows without an id are matched by their natural key.",
)
FRAME = Column(
    "Frame",
    "frame",
    required=True,
    synonyms=("managed system", "system", "server", "cec", "frame name", "sys"),
    help="The frame's name (managed system name).",
)
DRAWER = Column(
    "Drawer",
    "drawer",
    required=True,
    synonyms=("drawer location", "unit location", "unit", "enclosure"),
    help="The drawer's unit location code, e.g. U787F.001.DPM0XLZ.",
)
SLOT_LOCATION = Column(
    "Slot",
    "slot",
    required=True,
    synonyms=("slot location", "location", "slot #", "pcie slot"),
    help="The physical slot location within the drawer, e.g. P1-C4.",
)
FABRIC_REF = Column(
    "Fabric",
    "fabric",
    synonyms=("fabric name", "san", "san fabric"),
    help="A fabric's name from the Fabrics sheet.",
)

FRAMES = SheetSpec(
    "Frames",
    Frame,
    (
        IDENTITY,
        Column(
            "Name",
            "name",
            required=True,
            synonyms=("frame", "frame name", "managed system", "system name", "cec"),
            help="The managed system's name, as on the HMC.",
        ),
        Column(
            "Machine type",
            "machine_type",
            required=True,
            synonyms=("type", "mt", "mtype"),
            help="Four letters or digits, e.g. 8233.",
        ),
        Column("Model", "model", required=True, help="Three letters or digits, e.g. E8B."),
        Column(
            "Serial",
            "serial",
            required=True,
            synonyms=("serial number", "s/n", "sn"),
            help="Seven letters or digits.",
        ),
        Column(
            "HMC",
            "hmc",
            synonyms=("hmc name", "managing hmc"),
            help="The managing HMC's name (HMCs are added in the inventory, not here).",
        ),
        Column(
            "Processor generation",
            "processor_generation",
            CHOICE,
            choices=choices.ProcessorGeneration,
            synonyms=("generation", "power"),
        ),
        Column(
            "Compatibility modes",
            "compat_modes",
            LIST,
            synonyms=("compat modes", "accepted compatibility modes"),
            help="Accepted compatibility modes, comma-separated, e.g. default, POWER8.",
        ),
        Column(
            "Processor units",
            "proc_units",
            DECIMAL,
            required=True,
            synonyms=("installed processor units", "cpu", "cores", "processors"),
        ),
        Column(
            "Memory (MB)",
            "memory_mb",
            INT,
            required=True,
            synonyms=("memory", "memory mb", "installed memory", "ram"),
        ),
        Column(
            "Memory region (MB)", "memory_region_mb", INT, synonyms=("lmb", "memory region size")
        ),
        Column("Firmware level", "firmware_level", FREE, synonyms=("firmware",)),
        Column("Max active migrations", "max_active_migrations", INT, synonyms=("max migrations",)),
        Column("State", "state", CHOICE, choices=choices.FrameState),
        Column(
            "Evacuation target",
            "evacuation_target",
            synonyms=("evacuate to", "target frame", "evacuation frame"),
            help="The frame this one's LPARs move to when it is evacuated; readiness runs "
            "validate against it. A frame's name from this sheet.",
        ),
    ),
    key=("name",),
    help="One row per frame (managed system).",
    synonyms=("frame", "managed systems", "systems", "servers"),
)

DRAWERS = SheetSpec(
    "Drawers",
    Drawer,
    (
        IDENTITY,
        FRAME,
        Column(
            "Location",
            "location",
            required=True,
            synonyms=("unit location", "unit location code", "drawer", "drawer location"),
            help="The unit location code, e.g. U787F.001.DPM0XLZ.",
        ),
        Column(
            "Kind", "kind", CHOICE, choices=choices.DrawerKind, synonyms=("drawer kind", "type")
        ),
        Column("Position", "position", FREE, synonyms=("position label", "rack position")),
    ),
    key=("frame", "location"),
    help="One row per drawer (CEC or I/O expansion) of a frame.",
    synonyms=("drawer", "enclosures"),
)

SLOTS = SheetSpec(
    "Slots and adapters",
    Slot,
    (
        IDENTITY,
        FRAME,
        DRAWER,
        SLOT_LOCATION,
        Column("Bus", "bus", INT),
        Column("DRC index", "drc_index", synonyms=("drc",), help="Up to 8 hex digits."),
        Column("Slot description", "description", FREE),
        Column(
            "Adapter kind",
            "adapter_kind",
            CHOICE,
            choices=choices.AdapterKind,
            synonyms=("adapter", "card", "card type", "adapter type"),
            help="The card in the slot; empty for an empty slot.",
        ),
        Column("Feature code", "feature_code", FREE, synonyms=("fc", "feature", "fcode")),
        Column("Adapter description", "adapter_description", FREE, synonyms=("card description",)),
        Column(
            "Owner",
            "owner",
            synonyms=("owning vios", "owning partition", "vios", "lpar"),
            help="The LPAR (normally a VIOS) of the same frame the card is assigned to.",
        ),
    ),
    key=("frame", "drawer", "slot"),
    help="One row per PCIe slot, with the adapter in it and its owning partition.",
    synonyms=("slots", "adapters", "hardware", "io slots"),
)

PORTS = SheetSpec(
    "Ports and WWPNs",
    Port,
    (
        IDENTITY,
        FRAME,
        DRAWER,
        SLOT_LOCATION,
        Column("Port", "name", required=True, synonyms=("port name", "port #"), help="T1, T2 …"),
        Column("MAC", "mac", synonyms=("mac address",), help="Ethernet ports only."),
        Column("Switch port", "switch_port", FREE),
        Column("Speed (Gb/s)", "speed_gbps", INT, synonyms=("speed", "gbps")),
        Column(
            "WWPN",
            "wwpn",
            synonyms=("wwn", "port wwpn", "port name wwn"),
            help="A Fibre Channel port's WWPN, in any spelling; stored as text.",
        ),
        Column("WWPN fabric", "fabric", synonyms=("fabric", "fabric name", "san")),
    ),
    key=("frame", "drawer", "slot", "name"),
    help="One row per adapter port; a Fibre Channel port's WWPN and its fabric.",
    synonyms=("ports", "wwpns", "wwpn list", "wwns"),
)

VLANS = SheetSpec(
    "VLANs",
    Vlan,
    (
        IDENTITY,
        Column("VLAN", "vlan_id", INT, required=True, synonyms=("vlan id", "vlan #", "id vlan")),
        Column("Name", "name", FREE, synonyms=("vlan name", "description")),
    ),
    key=("vlan_id",),
    help="One row per VLAN.",
)

FABRICS = SheetSpec(
    "Fabrics",
    Fabric,
    (
        IDENTITY,
        Column("Name", "name", required=True, synonyms=("fabric", "fabric name")),
        Column("Side", "side", CHOICE, required=True, choices=choices.FabricSide),
        Column(
            "Vendor",
            "vendor",
            CHOICE,
            required=True,
            choices=choices.FabricVendor,
            synonyms=("switch vendor",),
        ),
        Column("VSAN", "vsan", INT, help="Cisco only."),
        Column(
            "Active configuration",
            "zoneset_name",
            synonyms=("zoneset", "cfg", "active cfg", "active zoneset", "zoneset name"),
        ),
        Column("Zoning style", "zoning_style", CHOICE, choices=choices.ZoningStyle),
    ),
    key=("name",),
    help="One row per SAN fabric.",
)

STORAGE_PORTS = SheetSpec(
    "Storage ports",
    StoragePort,
    (
        IDENTITY,
        Column("Array", "array", required=True, synonyms=("storage", "storage array")),
        Column("Port", "name", required=True, synonyms=("port name", "target port")),
        Column("Fabric", "fabric", required=True, synonyms=("fabric name", "san")),
        Column("WWPN", "wwpn", synonyms=("wwn", "target wwpn")),
    ),
    key=("array", "name"),
    help="One row per storage array target port.",
    synonyms=("targets", "storage targets"),
)

SHARED_POOLS = SheetSpec(
    "Shared pools",
    SharedProcessorPool,
    (
        IDENTITY,
        FRAME,
        Column("Pool id", "pool_id", INT, required=True, synonyms=("pool", "pool #")),
        Column("Name", "name", required=True, synonyms=("pool name",)),
    ),
    key=("frame", "pool_id"),
    help="One row per shared processor pool of a frame.",
    synonyms=("shared processor pools", "pools"),
)

LPARS = SheetSpec(
    "LPARs",
    Lpar,
    (
        IDENTITY,
        FRAME,
        Column(
            "Name",
            "name",
            required=True,
            synonyms=("lpar", "lpar name", "partition", "partition name", "hostname"),
        ),
        Column("LPAR id", "lpar_id", INT, required=True, synonyms=("id lpar", "lpar #", "lparid")),
        Column(
            "Kind",
            "kind",
            CHOICE,
            required=True,
            choices=choices.LparKind,
            synonyms=("os", "type", "lpar env"),
        ),
        Column("State", "state", CHOICE, choices=choices.LparState),
        Column(
            "Processor mode",
            "proc_mode",
            CHOICE,
            choices=choices.ProcMode,
            synonyms=("proc mode", "sharing mode"),
        ),
        Column(
            "Processor units",
            "proc_units",
            DECIMAL,
            required=True,
            synonyms=("entitlement", "ec", "proc units", "entitled capacity", "cpu"),
        ),
        Column(
            "Virtual processors",
            "virtual_procs",
            INT,
            required=True,
            synonyms=("vp", "vcpu", "virtual procs", "procs"),
        ),
        Column(
            "Memory (MB)",
            "memory_mb",
            INT,
            required=True,
            synonyms=("memory", "mem", "memory mb", "ram"),
        ),
        Column(
            "Compatibility mode",
            "compat_mode",
            synonyms=("compat mode", "processor compatibility mode"),
        ),
        Column(
            "Shared pool",
            "shared_pool",
            synonyms=("pool", "shared processor pool"),
            help="A pool's name on the LPAR's frame (Shared pools sheet).",
        ),
        Column(
            "Mover service partition", "msp", BOOL, synonyms=("msp",), help="yes or no; VIOS only."
        ),
        Column("Profile", "profile_name", synonyms=("profile name", "default profile")),
        Column(
            "Stub of frame",
            "stub_of_frame",
            help="For a stub twin: the frame of the LPAR it is the twin of.",
        ),
        Column(
            "Stub of",
            "stub_of",
            synonyms=("twin of", "stub of lpar"),
            help="For a stub twin: the name of the LPAR it is the twin of.",
        ),
        Column("Notes", "notes", FREE, synonyms=("comment", "comments", "remarks")),
    ),
    key=("frame", "name"),
    help="One row per LPAR, VIOS and clients; an LPAR is known by its name within its frame.",
    synonyms=("partitions", "lpar", "lpar list"),
)

VIRTUAL_ADAPTERS = SheetSpec(
    "Virtual adapters",
    VirtualAdapter,
    (
        IDENTITY,
        FRAME,
        Column(
            "LPAR", "lpar", required=True, synonyms=("lpar name", "partition", "partition name")
        ),
        Column(
            "Slot",
            "slot",
            INT,
            required=True,
            synonyms=("slot #", "virtual slot", "vslot", "slot number", "client slot"),
        ),
        Column(
            "Kind",
            "kind",
            CHOICE,
            required=True,
            choices=choices.VirtualAdapterKind,
            synonyms=("adapter type", "type", "adapter kind"),
        ),
        Column(
            "Role", "role", CHOICE, choices=choices.VirtualAdapterRole, synonyms=("adapter role",)
        ),
        Column(
            "Remote LPAR",
            "remote_lpar",
            synonyms=("remote partition", "vios", "remote lpar name", "server lpar"),
        ),
        Column(
            "Remote slot",
            "remote_slot",
            INT,
            synonyms=("remote slot #", "vios slot", "server slot"),
        ),
        Column("PVID", "pvid", INT, synonyms=("port vlan id", "vlan")),
        Column(
            "Tagged VLANs",
            "vlans",
            NUMBERS,
            synonyms=("vlans", "additional vlans"),
            help="VLAN numbers, comma-separated.",
        ),
        Column("vSwitch", "vswitch", synonyms=("virtual switch",)),
        Column("Trunk priority", "trunk_priority", INT),
        Column(
            "Physical port",
            "physical_port",
            synonyms=("fc port", "physical fc port", "vfcmap port"),
            help="vFC server: the FC port it maps to, as drawer-slot-port, e.g. "
            "U787F.001.DPM0XLZ-P1-C4-T1.",
        ),
        Column(
            "Backing devices",
            "backing_devices",
            LIST,
            synonyms=("hdisks", "backing device", "luns"),
            help="vSCSI server: hdisks or LUN ids, comma-separated, in mapping order.",
        ),
        Column("Device name", "device_name", synonyms=("device", "vhost", "vfchost")),
        Column(
            "WWPN 1",
            "wwpn1",
            synonyms=("wwpn", "wwpn a", "primary wwpn", "wwn 1"),
            error_fields=("wwpns",),
            help="vFC client: the first WWPN of its pair.",
        ),
        Column(
            "WWPN 2",
            "wwpn2",
            synonyms=("wwpn b", "secondary wwpn", "wwn 2"),
            help="vFC client: the second WWPN (used during LPM).",
        ),
        Column("WWPN 1 fabric", "fabric1", synonyms=("fabric 1",), error_fields=("wwpn_fabrics",)),
        Column("WWPN 2 fabric", "fabric2", synonyms=("fabric 2",)),
    ),
    key=("frame", "lpar", "slot"),
    help="One row per virtual adapter: Ethernet, vSCSI and vFC, client and VIOS side.",
    synonyms=("virtual resources", "virtual", "adapters virtual", "vadapters"),
)

SHEETS = (
    FRAMES,
    DRAWERS,
    SLOTS,
    PORTS,
    VLANS,
    FABRICS,
    STORAGE_PORTS,
    SHARED_POOLS,
    LPARS,
    VIRTUAL_ADAPTERS,
)
# Rows refer to rows of earlier sheets in this order.
IMPORT_ORDER = (
    FRAMES,
    FABRICS,
    VLANS,
    SHARED_POOLS,
    DRAWERS,
    LPARS,
    SLOTS,
    PORTS,
    STORAGE_PORTS,
    VIRTUAL_ADAPTERS,
)


def sheet_named(name: str) -> SheetSpec | None:
    """The sheet a workbook's (or a CSV file's) name stands for, or None."""
    wanted = normalized(name)
    for spec in SHEETS:
        if wanted in {normalized(spec.title), *map(normalized, spec.synonyms)}:
            return spec
    return None


def header_lookup(spec: SheetSpec) -> dict[str, Column]:
    """Normalized header or synonym → column; a column's own name wins over another's synonym."""
    found: dict[str, Column] = {}
    for column in spec.columns:
        for name in column.synonyms:
            found.setdefault(normalized(name), column)
    for column in spec.columns:
        found[normalized(column.header)] = column
    return found
