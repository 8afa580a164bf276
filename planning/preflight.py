"""Pre-flight checks: can this LPAR move to that frame, answered from the inventory before the
HMC is asked.

The contract other modules depend on (the Migrate wizard, the migratability matrix, evacuation
plans): `preflight_check(lpar=, destination=, options=)` returns a list of `Finding`s; an error
blocks the move, a warning informs. `verdict_of(findings)` sums them up.

Migrations already running are facts of `migrations_app`, which planning may not import: callers
pass them in `PreflightOptions`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from inventory.choices import LparKind, LparState
from inventory.models import Frame, Lpar
from planning.choices import Severity

DEFAULT_VIOS_MSP_LIMIT = 4  # concurrent migrations one mover service partition carries (verify)


class Verdict(models.TextChoices):
    OK = "ok", "can move"
    WARNINGS = "warnings", "can move with warnings"
    BLOCKED = "blocked", "cannot move"


class Mobility(models.TextChoices):
    ACTIVE = "active", "active (Running)"
    INACTIVE = "inactive", "inactive (Not Activated)"


@dataclass(frozen=True)
class Finding:
    """One answer of a check: a stable code, how serious, a sentence, and the data behind it."""

    code: str
    severity: str  # planning.choices.Severity
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> bool:
        return self.severity == Severity.ERROR


@dataclass(frozen=True)
class PreflightOptions:
    """What the check needs beyond the inventory.

    `mobility` None means: active when the LPAR is Running, inactive when Not Activated.
    `running_by_frame` / `running_by_vios`: migrations in progress, keyed by Frame pk and by VIOS
    Lpar pk (from migrations_app). `vios_limit`: concurrent migrations per mover service partition.
    """

    mobility: str | None = None
    running_by_frame: Mapping[int, int] = field(default_factory=dict)
    running_by_vios: Mapping[int, int] = field(default_factory=dict)
    vios_limit: int = DEFAULT_VIOS_MSP_LIMIT


def verdict_of(findings: list[Finding]) -> str:
    if any(f.blocks for f in findings):
        return Verdict.BLOCKED
    return Verdict.WARNINGS if findings else Verdict.OK


def _error(code: str, message: str, **data) -> Finding:
    return Finding(code=code, severity=Severity.ERROR, message=message, data=data)


def preflight_check(
    *, lpar: Lpar, destination: Frame, options: PreflightOptions | None = None
) -> list[Finding]:
    """Every reason `lpar` cannot (errors) or should not lightly (warnings) move there."""
    options = options or PreflightOptions()
    findings: list[Finding] = []
    if lpar.kind == LparKind.VIOS:
        findings.append(_error("LPAR_IS_VIOS", f"{lpar.name} is a VIOS; a VIOS never migrates."))
    if lpar.state not in (LparState.RUNNING, LparState.NOT_ACTIVATED):
        findings.append(
            _error(
                "LPAR_STATE",
                f"{lpar.name} is {lpar.get_state_display()}; it must be Running (active "
                "mobility) or Not Activated (inactive mobility).",
                state=lpar.state,
            )
        )
    if destination.pk == lpar.frame_id:
        findings.append(_error("SAME_FRAME", f"{lpar.name} already lives on {destination.name}."))
    return findings
