"""Promotion fixtures: farms, listings and lots; promoters; and a fake platform.

The fake platform is a real HTTPS server on 127.0.0.1 with a certificate from a certificate
authority made for the test session (openssl). Tests play DNS by replacing
`promotion.safe_fetch.resolve`; every other test gets a resolver that refuses, so no test ever
reaches the network. Loopback is reachable only when a test sets
SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS.
"""

import json
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from promotion import safe_fetch
from tests.factories import (
    client_for,
    make_address,
    make_batch,
    make_listing,
    make_producer,
    make_promoter,
)

FAKE_HOSTS = ["www.youtube.com", "www.tiktok.com", "b23.tv", "www.bilibili.com",
              "v.douyin.com", "www.douyin.com", "www.iesdouyin.com"]


@pytest.fixture(autouse=True)
def promotion_settings(settings, monkeypatch):
    settings.CLICK_REDIS_URL = ""
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = False
    settings.SAFE_FETCH_CA_FILE = ""
    settings.OEMBED_TIMEOUT = 2.0

    def no_dns(host, port):
        raise safe_fetch.FetchFailed(f"the tests reach no network ({host})")

    monkeypatch.setattr(safe_fetch, "resolve", no_dns)
    return settings


# --- People and goods -------------------------------------------------------------------------

@pytest.fixture
def farm(db):
    """A farm with a promotable listing (10%), one not open to promotion, and a harvest lot."""
    producer = make_producer(username="farmer_li", name="李家果园")
    apples = make_listing(producer=producer, price="20.00", commission_rate="0.10")
    honey = make_listing(producer=producer, price="58.00", title="槐花蜜")
    return {
        "producer": producer, "user": producer.user, "api": client_for(producer.user),
        "apples": apples, "honey": honey, "batch": make_batch(listing=apples),
    }


@pytest.fixture
def promoter(db) -> tuple:
    """(promoter, a client signed in as them)."""
    made = make_promoter(username="creator_zhang")
    return made, client_for(made.user)


@pytest.fixture
def address(regions) -> dict:
    """A shipping address for orders placed in the tests."""
    return make_address()


# --- The fake platform ------------------------------------------------------------------------

@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    """A certificate authority and a server certificate for the platforms' hosts."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the fake platform's TLS certificate")
    folder = tmp_path_factory.mktemp("tls")
    ext = folder / "leaf.ext"
    ext.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        f"subjectAltName={','.join('DNS:' + h for h in FAKE_HOSTS)}\n"
        "authorityKeyIdentifier=keyid,issuer\nsubjectKeyIdentifier=hash\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Shanhuo test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=www.youtube.com")
    run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext")
    return {"ca": str(folder / "ca.pem"), "cert": str(folder / "leaf.pem"),
            "key": str(folder / "leaf.key")}


class FakePlatform:
    """Routes (host, path) -> (status, headers, body); `hang` answers nothing until the test
    ends. `requests` records (host, path+query) of every request it saw."""

    def __init__(self, port: int):
        self.port = port
        self.routes: dict[tuple[str, str], tuple] = {}
        self.hanging: set[tuple[str, str]] = set()
        self.dripping: dict[tuple[str, str], tuple[float, int]] = {}
        self.dripped = 0
        self.requests: list[tuple[str, str]] = []
        self.release = threading.Event()

    def route(self, host: str, path: str, *, status: int = 200, body=b"",
              headers: dict | None = None, send_length: bool = True) -> None:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.routes[(host, path)] = (status, headers or {}, body, send_length)

    def redirect(self, host: str, path: str, location: str, status: int = 302) -> None:
        self.route(host, path, status=status, headers={"Location": location})

    def hang(self, host: str, path: str) -> None:
        self.hanging.add((host, path))

    def drip(self, host: str, path: str, *, interval: float, lines: int = 90) -> None:
        """Answer 200 with `lines` header lines, one every `interval` seconds, then a small
        JSON body: each read is quick, the whole answer slow. `dripped` counts the lines sent."""
        self.dripping[(host, path)] = (interval, lines)


@pytest.fixture
def fake_platform(test_ca, settings, monkeypatch):
    """A TLS server on 127.0.0.1 standing in for the platforms. DNS answers come from
    `dns` (host -> address); by default every platform host resolves to 127.0.0.1."""
    platform = None

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802 (the stdlib's name)
            host = (self.headers.get("Host") or "").split(":")[0]
            path = self.path.split("?")[0]
            platform.requests.append((host, self.path))
            if (host, path) in platform.hanging:
                platform.release.wait(10)
                return
            if (host, path) in platform.dripping:
                interval, lines = platform.dripping[(host, path)]
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for n in range(lines):
                    if platform.release.wait(interval):
                        return
                    self.wfile.write(f"X-Slow-{n}: a\r\n".encode())
                    self.wfile.flush()
                    platform.dripped += 1
                self.wfile.write(b'Content-Length: 13\r\n\r\n{"title":"x"}')
                return
            status, headers, body, send_length = platform.routes.get(
                (host, path), (404, {}, b"{}", True))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if send_length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(test_ca["cert"], test_ca["key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    platform = FakePlatform(server.server_address[1])
    platform.dns = {host: "127.0.0.1" for host in FAKE_HOSTS}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()

    def resolve(host, port):
        if host not in platform.dns:
            raise safe_fetch.FetchFailed(f"no such host in the fake DNS: {host}")
        answers = platform.dns[host]
        answers = [answers] if isinstance(answers, str) else answers
        return [(address, platform.port) for address in answers]

    monkeypatch.setattr(safe_fetch, "resolve", resolve)
    settings.SAFE_FETCH_CA_FILE = test_ca["ca"]
    yield platform
    platform.release.set()
    server.shutdown()
    server.server_close()
