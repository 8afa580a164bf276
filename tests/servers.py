"""Real servers the enterprise tests run against, each started on a free port in a temporary
directory: OpenLDAP's slapd (with a generated slapd.conf and a directory loaded by slapadd) and
Prometheus."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
LDAP_SCHEMA = Path("/etc/ldap/schema")
LDAP_MODULES = Path("/usr/lib/ldap")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {seconds} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


SLAPD_CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {schema}/nis.schema
modulepath {modules}
moduleload back_mdb
pidfile {dir}/slapd.pid
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{rootdn}"
rootpw {rootpw}
directory {dir}/data
index objectClass eq
index uid eq
index member eq
"""


@contextmanager
def slapd(tmp: Path, *, suffix: str, rootdn: str, rootpw: str, ldif: str) -> Iterator[str]:
    """A slapd serving `ldif` (loaded with slapadd) under `suffix`; yields its ldap:// URI."""
    (tmp / "data").mkdir()
    conf = tmp / "slapd.conf"
    settings = {"suffix": suffix, "rootdn": rootdn, "rootpw": rootpw}
    conf.write_text(
        SLAPD_CONF.format(schema=LDAP_SCHEMA, modules=LDAP_MODULES, dir=tmp, **settings)
    )
    (tmp / "data.ldif").write_text(ldif)
    subprocess.run(
        [SLAPADD, "-f", str(conf), "-l", str(tmp / "data.ldif")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = free_port()
    uri = f"ldap://127.0.0.1:{port}/"
    # -d keeps slapd in the foreground, so that the test owns the process.
    process = subprocess.Popen(
        [SLAPD, "-f", str(conf), "-h", uri, "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, "slapd")
        yield uri
    finally:
        stop(process)


PROMETHEUS = "/usr/bin/prometheus"
PROMETHEUS_CONF = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: lpmplanner
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials: {token}
    static_configs:
      - targets: ["{target}"]
"""


@contextmanager
def prometheus(tmp: Path, *, target: str, token: str) -> Iterator[str]:
    """Debian's Prometheus scraping `target` (host:port) every second with the bearer `token`;
    yields the base URL of its HTTP API."""
    conf = tmp / "prometheus.yml"
    conf.write_text(PROMETHEUS_CONF.format(target=target, token=token))
    port = free_port()
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={conf}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, "prometheus")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@contextmanager
def oidc_provider(tmp: Path, *, redirect_uri: str) -> Iterator[str]:
    """The test OpenID Connect provider (tests/oidc_provider) in a process of its own, its one
    client allowed to come back to `redirect_uri`; yields its discovery URL."""
    port = free_port()
    log = (tmp / "provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(port), redirect_uri, str(tmp)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process, "the OpenID Connect provider", seconds=90)
        yield f"http://127.0.0.1:{port}/o/.well-known/openid-configuration"
    finally:
        stop(process)
        log.close()
