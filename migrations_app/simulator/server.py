"""The simulator's SSH server (asyncssh): password and key logins, a host key generated once and
kept, one command per session as `ssh hscroot@host 'lssyscfg -r sys'` runs it."""

import asyncio
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import asyncssh

from migrations_app.simulator.hmc import DEFAULT_PASSWORD, DEFAULT_USER, Faults

__all__ = ["DEFAULT_PASSWORD", "DEFAULT_USER", "Logins", "SimulatorThread", "server_start"]

logger = logging.getLogger(__name__)


class AnsweringHmc(Protocol):
    """What the server serves: a SimulatedHmc, or a ReplayHmc answering from a capture."""

    faults: Faults

    async def execute(self, line: str) -> tuple[int, str, str]: ...


@dataclass(frozen=True)
class Logins:
    username: str = DEFAULT_USER
    password: str = DEFAULT_PASSWORD
    authorized_keys: tuple[asyncssh.SSHKey, ...] = ()


class _Server(asyncssh.SSHServer):
    def __init__(self, hmc: AnsweringHmc, logins: Logins) -> None:
        self.hmc, self.logins = hmc, logins

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        if self.hmc.faults.refuse_login:
            return False
        return username == self.logins.username and password == self.logins.password

    def public_key_auth_supported(self) -> bool:
        return bool(self.logins.authorized_keys)

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        if self.hmc.faults.refuse_login or username != self.logins.username:
            return False
        wanted = key.export_public_key()
        return any(k.export_public_key() == wanted for k in self.logins.authorized_keys)


async def _session(hmc: AnsweringHmc, process: asyncssh.SSHServerProcess) -> None:
    if hmc.faults.drop_connection:
        hmc.faults.drop_connection = False
        process.channel.get_extra_info("connection").abort()
        return
    if not process.command:
        process.stderr.write("This simulated HMC runs one command per session.\n")
        process.exit(1)
        return
    status, stdout, stderr = await hmc.execute(process.command)
    if process.channel.is_closing():
        return  # the client went away (a killed worker): nobody to answer
    process.stdout.write(stdout)
    process.stderr.write(stderr)
    process.exit(status)


async def server_start(
    hmc: AnsweringHmc, *, host: str, port: int, host_key: asyncssh.SSHKey, logins: Logins
) -> asyncssh.SSHAcceptor:
    """Listen on host:port (0: a free port; the acceptor's get_port() tells which)."""
    return await asyncssh.create_server(
        lambda: _Server(hmc, logins),
        host,
        port,
        server_host_keys=[host_key],
        process_factory=lambda process: _session(hmc, process),
        encoding="utf-8",
        line_editor=False,
        keepalive_interval=0,
    )


class SimulatorThread:
    """The simulator on an event loop of its own thread, for tests and benchmarks."""

    def __init__(
        self,
        hmc: AnsweringHmc,
        *,
        host_key: asyncssh.SSHKey,
        logins: Logins = Logins(),
        host: str = "127.0.0.1",
    ) -> None:
        """`host`: the loopback address to listen on; simulated HMCs of one `SimNetwork` each
        take their own (127.0.0.2, …), the address the others reach them by."""
        self.hmc, self.host_key, self.logins = hmc, host_key, logins
        self.host = host
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.acceptor: asyncssh.SSHAcceptor | None = None

    @property
    def port(self) -> int:
        return self.acceptor.get_port()

    def start(self) -> "SimulatorThread":
        self.thread.start()
        self.acceptor = asyncio.run_coroutine_threadsafe(
            server_start(
                self.hmc, host=self.host, port=0, host_key=self.host_key, logins=self.logins
            ),
            self.loop,
        ).result(10)
        return self

    def stop(self) -> None:
        if not self.loop.is_running():
            return

        async def close() -> None:
            self.acceptor.close()
            await self.acceptor.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def authorized_keys_read(path: Path) -> tuple[asyncssh.SSHKey, ...]:
    """The public keys of an authorized_keys file, one a line."""
    return tuple(asyncssh.read_public_key_list(str(path)))
