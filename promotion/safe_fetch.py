"""One HTTPS GET to a host we chose, that cannot be turned against our own network (SSRF).

- HTTPS only, default port only, the host checked by the caller's allow-list.
- The name is resolved once; every address it resolves to must be public (no private,
  loopback, link-local, shared, reserved, multicast or unspecified range, also inside
  IPv4-mapped, NAT64 and 6to4 IPv6 forms). The connection goes to the checked address, so a
  second DNS answer cannot swap in another one (DNS rebinding); TLS is still verified against
  the host name.
- No redirect is followed here: a 3xx comes back to the caller, who checks the next hop the
  same way (`Location` must pass the same allow-list and address checks).
- A timeout on the whole exchange (a socket timeout bounds each read only, so a server
  dripping a byte at a time could hold a worker for hours: a watchdog shuts the socket at the
  deadline) and a cap on the body size.

`SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS` (False unless a test sets it) lets loopback addresses
through so that the tests can run a fake server on 127.0.0.1; nothing else is ever let through.
`SAFE_FETCH_CA_FILE` replaces the system trust roots (tests: their own certificate authority).
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

USER_AGENT = "Shanhuo-metadata/1.0"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """Base of every failure to fetch."""


class FetchRefused(FetchError):
    """Refused by policy: scheme, host, address, redirect or size. Retrying will not help."""


class FetchFailed(FetchError):
    """Could not complete: timeout, connection, TLS, malformed response. May be transient."""


@dataclass
class FetchResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def location(self) -> str | None:
        return self.headers.get("location")


def public_address(address: str) -> bool:
    """Is this IP address one the public internet can be reached at?"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is None and ip.teredo:
            embedded = ip.teredo[1]
        if embedded is not None and not public_address(str(embedded)):
            return False
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
        or ip.is_multicast or ip.is_unspecified
        or (ip.version == 6 and ip.is_site_local)  # fec0::/10, deprecated but still routed
    )


def address_allowed(address: str) -> bool:
    if public_address(address):
        return True
    if getattr(settings, "SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS", False):
        try:
            return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
        except ValueError:
            return False
    return False


def resolve(host: str, port: int) -> list[tuple[str, int]]:
    """Every (address, port) the name resolves to. Tests replace this to play DNS."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"cannot resolve {host}") from exc
    return [(info[4][0], info[4][1]) for info in infos]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address checked beforehand, with TLS verified against the host name."""

    def __init__(self, host: str, address: tuple[str, int], *, timeout: float,
                 context: ssl.SSLContext):
        super().__init__(host, 443, timeout=timeout, context=context)
        self._address = address
        self.aborted = False

    def connect(self) -> None:
        sock = socket.create_connection(self._address, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host,
                                              do_handshake_on_connect=False)
        if self.aborted:  # the deadline passed while connecting
            raise TimeoutError
        self.sock.do_handshake()

    def abort(self) -> None:
        """From the watchdog thread: wake whatever read is blocked on the socket."""
        self.aborted = True
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                # the plain socket's shutdown: the TLS layer's own would drop its state under
                # the reading thread
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _context() -> ssl.SSLContext:
    cafile = getattr(settings, "SAFE_FETCH_CA_FILE", "") or None
    return ssl.create_default_context(cafile=cafile)


def fetch(
    url: str,
    *,
    host_allowed: Callable[[str], bool],
    timeout: float,
    max_bytes: int,
    accept: str = "application/json",
) -> FetchResponse:
    """GET `url` once under the rules above. 3xx responses are returned, not followed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused("malformed URL") from exc
    host = parts.hostname or ""
    if any(c.isspace() or not c.isprintable() for c in url):
        raise FetchRefused("white space or control characters in the URL")
    if parts.scheme != "https":
        raise FetchRefused("only https is fetched")
    if "@" in parts.netloc or port not in (None, 443):
        raise FetchRefused("user information or a non-default port")
    if not host or not host_allowed(host):
        raise FetchRefused(f"host not allowed: {host!r}")

    addresses = resolve(host, 443)
    if not addresses:
        raise FetchFailed(f"{host} resolves to nothing")
    refused = [a for a, _ in addresses if not address_allowed(a)]
    if refused:
        raise FetchRefused(f"{host} resolves to a non-public address {refused[0]}")

    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedHTTPSConnection(host, addresses[0], timeout=timeout, context=_context())
    watchdog = threading.Timer(timeout, connection.abort)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("GET", path, headers={
            "User-Agent": USER_AGENT,
            "Accept": accept,
            "Accept-Encoding": "identity",
            "Connection": "close",
        })
        response = connection.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise FetchRefused(f"response of {length} bytes is over the {max_bytes} cap")
        body = bytearray()
        while chunk := response.read(min(8192, max_bytes + 1 - len(body))):
            body.extend(chunk)
            if len(body) > max_bytes:
                raise FetchRefused(f"response over the {max_bytes} byte cap")
        if connection.aborted:  # the body ended because the watchdog cut it
            raise FetchFailed("timed out")
        return FetchResponse(status=response.status, headers=headers, body=bytes(body))
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        if isinstance(exc, TimeoutError) or connection.aborted:
            raise FetchFailed("timed out") from exc
        raise FetchFailed(f"fetch failed: {exc.__class__.__name__}") from exc
    finally:
        watchdog.cancel()
        connection.close()
