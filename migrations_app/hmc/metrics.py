"""HMC command latencies and refusals by HSCL code, measured around any Transport."""

import time
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Histogram

from migrations_app.hmc.commands import Command
from migrations_app.hmc.errors import HmcConnectionError, HmcError

if TYPE_CHECKING:  # the client module imports this one
    from migrations_app.hmc.client import Transport

COMMAND_SECONDS = Histogram(
    "lpmplanner_hmc_command_seconds",
    "Time an HMC command took, by command (migrlpar waits for the whole migration).",
    ["command"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
)
COMMAND_ERRORS = Counter(
    "lpmplanner_hmc_command_errors",
    "HMC commands that failed, by command and HSCL code ('exit' without one, 'connection' when "
    "the HMC could not be talked to).",
    ["command", "code"],
)


class MeasuredTransport:
    """The transport it wraps, with every command timed and every failure counted; anything
    else is the wrapped transport's."""

    def __init__(self, transport: "Transport") -> None:
        self.wrapped = transport

    def run(self, command: Command, *, timeout: float | None = None) -> str:
        name = command.argv[0] if command.argv else "-"
        started = time.perf_counter()
        try:
            return self.wrapped.run(command, timeout=timeout)
        except HmcError as error:
            for code in error.codes or ("exit",):
                COMMAND_ERRORS.labels(name, code).inc()
            raise
        except HmcConnectionError:
            COMMAND_ERRORS.labels(name, "connection").inc()
            raise
        finally:
            COMMAND_SECONDS.labels(name).observe(time.perf_counter() - started)

    def close(self) -> None:
        self.wrapped.close()

    def __getattr__(self, name: str) -> Any:
        if name == "wrapped":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self.wrapped, name)

    def __repr__(self) -> str:
        return repr(self.wrapped)
