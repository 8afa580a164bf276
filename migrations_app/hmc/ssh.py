"""The SSH transport to an HMC, on asyncssh: the pinned host key is verified on every connect,
the connection is reused across commands, and no password ever reaches a log line."""

import asyncio
import logging
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import asyncssh
from django.views.decorators.debug import sensitive_variables

from migrations_app.hmc.commands import Command
from migrations_app.hmc.errors import (
    HmcConnectionError,
    HmcConnectionLost,
    HmcError,
    HmcHostKeyChanged,
    HmcHostKeyUnknown,
    HmcLoginRefused,
    HmcUnreachable,
)

logger = logging.getLogger(__name__)
# asyncssh logs every channel and command at INFO: too chatty for a worker's log.
asyncssh.set_log_level(logging.WARNING)

CONNECT_TIMEOUT = 15.0
COMMAND_TIMEOUT = 120.0


@dataclass(frozen=True)
class ScannedHostKey:
    """A host key as first seen: the known_hosts line to pin, and its fingerprint to show."""

    known_hosts_line: str
    fingerprint: str


def known_hosts_line(host: str, port: int, key: asyncssh.SSHKey) -> str:
    pattern = host if port == 22 else f"[{host}]:{port}"
    return f"{pattern} {key.export_public_key('openssh').decode().strip()}"


def pinned_key(line: str) -> asyncssh.SSHKey:
    """The public key of a known_hosts line (`host keytype base64 [comment]`)."""
    words = line.split()
    if len(words) < 3:
        raise ValueError("A known_hosts line is: host, key type, base64 key.")
    return asyncssh.import_public_key(f"{words[1]} {words[2]}")


def fingerprint_of(line: str) -> str:
    return pinned_key(line).get_fingerprint("sha256")


class _LoopThread:
    """An event loop on a thread of its own, so synchronous callers (views, Celery tasks) can
    keep one SSH connection open across calls."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coroutine: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


def _translate(error: BaseException, where: str) -> HmcConnectionError:
    if isinstance(error, asyncssh.HostKeyNotVerifiable):
        return HmcHostKeyChanged(where)
    if isinstance(error, asyncssh.PermissionDenied):
        return HmcLoginRefused(where)
    if isinstance(error, asyncssh.ConnectionLost | asyncssh.DisconnectError | BrokenPipeError):
        return HmcConnectionLost(where)
    return HmcUnreachable(f"{where}: {type(error).__name__} {error}".strip())


class SshTransport:
    """Runs HMC commands over one reused SSH connection, reconnecting when it was lost."""

    @sensitive_variables("password", "client_keys")
    def __init__(
        self,
        *,
        host: str,
        port: int = 22,
        username: str,
        host_key: str,
        password: str | None = None,
        client_keys: list[asyncssh.SSHKey] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        command_timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        if not host_key.strip():
            raise HmcHostKeyUnknown(f"{host}:{port}")
        self.host, self.port, self.username = host, port, username
        self._trusted = pinned_key(host_key)
        self._password = password or None
        self._client_keys = client_keys
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout
        self._loop = _LoopThread()
        self._connection: asyncssh.SSHClientConnection | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SshTransport({self.username}@{self.host}:{self.port})"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    async def _connect(self) -> asyncssh.SSHClientConnection:
        return await asyncssh.connect(
            self.host,
            self.port,
            username=self.username,
            password=self._password,
            client_keys=self._client_keys,
            known_hosts=([self._trusted], [], []),
            connect_timeout=self.connect_timeout,
            agent_path=None,
            preferred_auth="publickey,password" if self._client_keys else "password",
        )

    def connect(self) -> None:
        """Open the connection now (else the first command does)."""
        with self._lock:
            self._connection_get()

    def _connection_get(self) -> asyncssh.SSHClientConnection:
        if self._connection is None or self._connection.is_closed():
            try:
                self._connection = self._loop.call(self._connect())
            except (OSError, asyncssh.Error, TimeoutError) as error:
                raise _translate(error, self.where) from None
            logger.info("Connected to HMC %s as %s", self.where, self.username)
        return self._connection

    def run(self, command: Command, *, timeout: float | None = COMMAND_TIMEOUT) -> str:
        with self._lock:
            connection = self._connection_get()
        logger.debug("HMC %s: %s", self.where, command.shown)
        try:
            result = self._loop.call(
                connection.run(command.text, check=False, timeout=timeout), timeout=None
            )
        except (OSError, asyncssh.Error, TimeoutError) as error:
            raise _translate(error, self.where) from None
        if result.exit_status is None:
            raise HmcConnectionLost(f"{self.where} while running {command.argv[0]}")
        stdout, stderr = str(result.stdout or ""), str(result.stderr or "")
        if result.exit_status != 0:
            text = "\n".join(part for part in (stdout.strip(), stderr.strip()) if part)
            raise HmcError(command=command.shown, exit_status=result.exit_status, text=text)
        return stdout

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()
            self._loop.call(connection.wait_closed(), timeout=5)
        self._loop.stop()


def host_key_scan(*, host: str, port: int, timeout: float = CONNECT_TIMEOUT) -> ScannedHostKey:
    """The key the server at host:port presents, for a person to compare and trust."""

    async def scan() -> asyncssh.SSHKey | None:
        return await asyncssh.get_server_host_key(host, port)

    try:
        key = asyncio.run(asyncio.wait_for(scan(), timeout))
    except (OSError, asyncssh.Error, TimeoutError) as error:
        raise _translate(error, f"{host}:{port}") from None
    if key is None:
        raise HmcUnreachable(f"{host}:{port} presented no host key")
    line = known_hosts_line(host, port, key)
    return ScannedHostKey(known_hosts_line=line, fingerprint=key.get_fingerprint("sha256"))
