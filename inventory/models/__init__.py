"""The inventory's models, split by sub-domain."""

from inventory.models.hardware import Adapter, Drawer, Frame, Hmc, Port, Slot
from inventory.models.partitions import Lpar, SharedProcessorPool, VirtualAdapter
from inventory.models.san import Fabric, StoragePort, Vlan, Wwpn

__all__ = [
    "Adapter",
    "Drawer",
    "Fabric",
    "Frame",
    "Hmc",
    "Lpar",
    "Port",
    "SharedProcessorPool",
    "Slot",
    "StoragePort",
    "VirtualAdapter",
    "Vlan",
    "Wwpn",
]
