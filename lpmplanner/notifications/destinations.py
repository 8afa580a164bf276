"""Where a webhook may send: public addresses, and the networks an administrator allows
(NOTIFY_WEBHOOK_ALLOWED_NETWORKS). Anyone with an account can add a webhook, so without this a
URL could make the server (or its worker) send requests into the data centre's own network:
the HMCs, the database, a cloud's metadata service.

Checked twice: when the URL is saved (an address written in it, `localhost`), and when a
delivery connects, on every address its host resolves to, connecting to the very address that
was checked (a name that resolves elsewhere the second time gains nothing). Redirects are not
followed, and no proxy from the environment is used (it would connect in our stead)."""

import http.client
import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedDestination(OSError):
    """The webhook's host is, or resolves to, an address webhooks may not reach."""


def address_allowed(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in settings.NOTIFY_WEBHOOK_ALLOWED_NETWORKS):
        return True
    return address.is_global and not address.is_multicast


def refusal(address: str) -> str:
    return (
        f"{address} is a loopback, private, link-local or reserved address: webhooks reach "
        "public addresses only, or the networks an administrator allows "
        "(NOTIFY_WEBHOOK_ALLOWED_NETWORKS)."
    )


def url_refusal(url: str) -> str | None:
    """Why a webhook may not have this URL (its host an address it may not reach, or
    localhost), or None. A name is checked again, resolved, at each delivery."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return refusal(host) if not address_allowed(ipaddress.ip_address("127.0.0.1")) else None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return None if address_allowed(address) else refusal(host)


def _create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
    """socket.create_connection to the host's first address, every one of them checked."""
    host, port = address
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in found:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not address_allowed(ip):
            raise RefusedDestination(refusal(f"{host} ({ip})"))
    error: OSError | None = None
    for family, kind, protocol, _name, sockaddr in found:
        sock = socket.socket(family, kind, protocol)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as problem:
            sock.close()
            error = problem
    raise error or OSError(f"{host} has no address")


class _Checked:
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _create_connection


class _HTTPConnection(_Checked, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Checked, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_HTTPSConnection, req, context=self._context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer (an HTTPError), not somewhere else to go."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _HTTPHandler, _HTTPSHandler, _NoRedirect
    )
