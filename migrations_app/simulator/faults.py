"""Per-partition validation faults of a running simulator, kept in a JSON file it reads again
before each validation: `hmc_simulator_fault` sets and clears them from outside, and the demo
starts with one (`DEMO_FAULTS`), so the readiness page shows a partition the HMC refuses."""

import json
import os
from pathlib import Path

from django.conf import settings

from migrations_app.simulator.hmc import LPAR_FAULTS

FAULTS_FILE_NAME = "hmc_simulator_faults.json"
# The demo's not-ready partition: lnx2 (on p750-b) has its RMC connection down, which the
# inventory cannot know: pre-flight lets it move, the HMC refuses (a disagreement).
DEMO_FAULTS = {"lnx2": "rmc_down"}


def faults_file_path() -> Path:
    return Path(settings.VAR_DIR) / FAULTS_FILE_NAME


def faults_read(path: Path | None = None) -> dict[str, str]:
    path = path or faults_file_path()
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def faults_write(faults: dict[str, str], path: Path | None = None) -> None:
    """Written whole and renamed into place: the simulator never reads half a file."""
    path = path or faults_file_path()
    unknown = sorted(set(faults.values()) - set(LPAR_FAULTS))
    if unknown:
        raise ValueError(f"{unknown[0]} is not a fault; known: {', '.join(LPAR_FAULTS)}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(faults, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def fault_set(lpar: str, cause: str | None, path: Path | None = None) -> dict[str, str]:
    """Set (or, with None, clear) the fault of one partition; the faults now."""
    faults = faults_read(path)
    if cause is None:
        faults.pop(lpar, None)
    else:
        faults[lpar] = cause
    faults_write(faults, path)
    return faults
