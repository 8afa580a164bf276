"""What can go wrong talking to an HMC, as exceptions that carry the HSCL codes, never prose."""

import re

HSCL_CODE = re.compile(r"\bHSCL[0-9A-F]{4}\b")


class HmcError(Exception):
    """A command the HMC refused: non-zero exit. Classified by its HSCL codes only, because the
    message text follows the HMC user's locale."""

    def __init__(self, *, command: str, exit_status: int, text: str) -> None:
        self.command = command
        self.exit_status = exit_status
        self.text = text
        self.codes: tuple[str, ...] = tuple(dict.fromkeys(HSCL_CODE.findall(text)))
        codes = ", ".join(self.codes) or f"exit status {exit_status}"
        super().__init__(f"{codes}: {text.strip()} (command: {command})")

    def has_code(self, *codes: str) -> bool:
        return any(code in self.codes for code in codes)


class HmcCommandError(ValueError):
    """A command could not be built: a value the HMC would not accept or that could inject."""


class HmcConnectionError(Exception):
    """The HMC could not be reached or talked to; `reason` says why in a planner's words."""

    reason = "The HMC could not be reached."

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(f"{self.reason} {detail}".strip())


class HmcUnreachable(HmcConnectionError):
    reason = "The HMC is unreachable."


class HmcLoginRefused(HmcConnectionError):
    reason = "The HMC refused the login."


class HmcHostKeyUnknown(HmcConnectionError):
    reason = "No host key is pinned for this HMC: trust its key first."


class HmcHostKeyChanged(HmcConnectionError):
    reason = "The HMC presented a different host key than the one pinned."


class HmcConnectionLost(HmcConnectionError):
    reason = "The connection to the HMC was lost."
