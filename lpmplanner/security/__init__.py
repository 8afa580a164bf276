"""Security policy in one place: the security log, two-factor sign-in and step-up, API tokens.

Other modules need three names from here:

- `security_event(kind=, request=|user=, **data)` writes one security log entry;
- `step_up_required`, a decorator for page views that run a dangerous action;
- `StepUpPermission`, the DRF permission class for the same actions over the API.
"""

from lpmplanner.security.events import security_event
from lpmplanner.security.stepup import StepUpPermission, step_up_required

__all__ = ["StepUpPermission", "security_event", "step_up_required"]
