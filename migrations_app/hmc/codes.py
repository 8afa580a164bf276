"""HSCL codes lpmplanner acts on, grouped by what they mean for it: errors are classified by
these codes only, never by message text (which follows the HMC user's locale)."""

# Real HMC codes, with the meaning real HMCs give them (domain notes §1.5, §10).
NPIV_NOT_HOSTED = "HSCLA319"  # vFC client not hostable on any destination VIOS: zoning/masking
NOT_SUPPORTED = "HSCLA4C0"  # the managed system lacks the capability (e.g. virtual FC)
REMOTE_HMC_NO_TRUST = "HSCL3653"
LPAR_NOT_FOUND = "HSCL8012"  # the partition named (or filtered for) is not on that system
NO_AUTHORITY = "HSCL350B"  # the HMC user does not have the appropriate authority

# The simulator's own codes, for refusals whose real code we have no record of. They all lie in
# SIM_RANGE, which this project keeps for itself: never give a real code another meaning, and
# never put an invented code outside this range.
SIM_RANGE = ("HSCLFF00", "HSCLFFFF")
SIM_BAD_OPTION = "HSCLFF01"  # unknown option, missing value, bad number, bad -i attribute/list
SYSTEM_NOT_FOUND = "HSCLFF02"  # -m/-t names no managed system of this HMC
NOT_MIGRATABLE = "HSCLFF10"
NOT_A_VIOS = "HSCLFF11"
NAME_CONFLICT = "HSCLFF12"
ID_CONFLICT = "HSCLFF13"
SLOT_IN_USE = "HSCLFF14"
NO_PROC_CAPACITY = "HSCLFF15"
NO_MEM_CAPACITY = "HSCLFF16"
COMPAT_MODE = "HSCLFF17"
VLAN_NOT_BRIDGED = "HSCLFF18"
TOO_MANY_MIGRATIONS = "HSCLFF19"
MIGRATION_BUSY = "HSCLFF1A"
NO_MIGRATION = "HSCLFF1B"
MIGRATION_STOPPED = "HSCLFF1C"
MIGRATION_FAILED = "HSCLFF1D"
VIOS_COMMAND_FAILED = "HSCLFF1E"
WARNING_NO_MSP = "HSCLFF1F"
SIM_REMOTE_UNREACHABLE = "HSCLFF20"
SIM_REMOTE_LOGIN_REFUSED = "HSCLFF21"
RMC_INACTIVE = "HSCLFF22"  # active mobility needs the partition's RMC connection active
SIM_NOT_RECORDED = "HSCLFF30"  # a replayed capture holds no answer for this command line

# "Not available on this frame": discovery skips what such an answer is about.
CAPABILITY_MISSING = frozenset({NOT_SUPPORTED})
NOT_FOUND = frozenset({SYSTEM_NOT_FOUND, LPAR_NOT_FOUND})


def is_simulated(code: str) -> bool:
    """Whether `code` is one the simulator invented (in SIM_RANGE)."""
    return SIM_RANGE[0] <= code.upper() <= SIM_RANGE[1]
