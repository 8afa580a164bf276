"""HSCL codes lpmplanner acts on, grouped by what they mean for it: errors are classified by
these codes only, never by message text (which follows the HMC user's locale)."""

NPIV_NOT_HOSTED = "HSCLA319"  # vFC client not hostable on any destination VIOS: zoning/masking
NOT_SUPPORTED = "HSCLA4C0"  # the managed system lacks the capability (e.g. virtual FC)
REMOTE_HMC_NO_TRUST = "HSCL3653"
# The codes below are the simulator's, in the HMC's style; real HMCs print their own.
SYSTEM_NOT_FOUND = "HSCL8012"
LPAR_NOT_FOUND = "HSCL8013"
SIM_BAD_OPTION = "HSCL350B"
NOT_MIGRATABLE = "HSCLA27C"
NOT_A_VIOS = "HSCLA27D"
NAME_CONFLICT = "HSCLA2CF"
ID_CONFLICT = "HSCLA2D0"
SLOT_IN_USE = "HSCLA2D1"
NO_PROC_CAPACITY = "HSCLA1B0"
NO_MEM_CAPACITY = "HSCLA1B1"
COMPAT_MODE = "HSCLA1C4"
VLAN_NOT_BRIDGED = "HSCLA229"
TOO_MANY_MIGRATIONS = "HSCLA3A4"
MIGRATION_BUSY = "HSCLA3A5"
NO_MIGRATION = "HSCLA3A6"
MIGRATION_STOPPED = "HSCLA3A7"
MIGRATION_FAILED = "HSCLA3A8"
VIOS_COMMAND_FAILED = "HSCLA3B0"
WARNING_NO_MSP = "HSCLA2A0"
SIM_REMOTE_UNREACHABLE = "HSCL3650"
SIM_REMOTE_LOGIN_REFUSED = "HSCL3651"

# "Not available on this frame": discovery skips what such an answer is about.
CAPABILITY_MISSING = frozenset({NOT_SUPPORTED})
NOT_FOUND = frozenset({SYSTEM_NOT_FOUND, LPAR_NOT_FOUND})
