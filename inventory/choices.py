"""Enumerations of the inventory, in the HMC's words where it has them."""

from django.db import models


class ProcessorGeneration(models.TextChoices):
    POWER6 = "POWER6", "POWER6"
    POWER7 = "POWER7", "POWER7"
    POWER8 = "POWER8", "POWER8"
    POWER9 = "POWER9", "POWER9"
    POWER10 = "Power10", "Power10"
    POWER11 = "Power11", "Power11"


class FrameState(models.TextChoices):
    OPERATING = "operating", "Operating"
    STANDBY = "standby", "Standby"
    POWER_OFF = "power_off", "Power Off"
    NO_CONNECTION = "no_connection", "No Connection"
    ERROR = "error", "Error"


class DrawerKind(models.TextChoices):
    CEC = "cec", "CEC"
    IO = "io", "I/O expansion"


class AdapterKind(models.TextChoices):
    ETHERNET = "ethernet", "Ethernet"
    FC = "fc", "Fibre Channel"
    SAS = "sas", "SAS"
    OTHER = "other", "Other"


class FabricSide(models.TextChoices):
    A = "A", "A"
    B = "B", "B"


class FabricVendor(models.TextChoices):
    BROCADE = "brocade", "Brocade"
    CISCO = "cisco", "Cisco"


class ZoningStyle(models.TextChoices):
    SINGLE_INITIATOR = "single_initiator", "Single initiator"
    PEER = "peer", "Peer zones (Brocade)"
    SMART = "smart", "Smart zoning (Cisco)"


class LparKind(models.TextChoices):
    VIOS = "vios", "VIOS"
    AIX = "aix", "AIX"
    LINUX = "linux", "Linux"
    IBMI = "ibmi", "IBM i"


class LparState(models.TextChoices):
    RUNNING = "running", "Running"
    NOT_ACTIVATED = "not_activated", "Not Activated"
    STARTING = "starting", "Starting"
    SHUTTING_DOWN = "shutting_down", "Shutting Down"
    MIGRATING_RUNNING = "migrating_running", "Migrating - Running"
    MIGRATING_NOT_ACTIVATED = "migrating_not_activated", "Migrating - Not Activated"
    OPEN_FIRMWARE = "open_firmware", "Open Firmware"
    ERROR = "error", "Error"


class ProcMode(models.TextChoices):
    SHARED = "shared", "Shared"
    DEDICATED = "dedicated", "Dedicated"


class VirtualAdapterKind(models.TextChoices):
    ETHERNET = "ethernet", "Ethernet"
    VSCSI = "vscsi", "vSCSI"
    VFC = "vfc", "vFC"


class VirtualAdapterRole(models.TextChoices):
    CLIENT = "client", "Client"
    SERVER = "server", "Server"
    TRUNK = "trunk", "Trunk"


class WwpnKind(models.TextChoices):
    PHYSICAL = "physical", "Physical FC port"
    NPIV_PRIMARY = "npiv_primary", "NPIV primary"
    NPIV_SECONDARY = "npiv_secondary", "NPIV secondary"
    STORAGE_TARGET = "storage_target", "Storage target"
