"""The HTTP side the fake WeChat and SMS platforms share: a real server on 127.0.0.1 in a
thread, every request recorded, and faults a test switches on (`platform.fault = ...` until set
back to None): "500" (busy, nothing done), "hang" (no answer until the test ends: our timeout
must give up), "slow" (answers after `slow_seconds`)."""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str  # with the query string
    headers: dict
    body: bytes


class FakePlatform:
    def __init__(self):
        self.received: list[Received] = []
        self.fault: str | None = None
        self.slow_seconds = 2.0
        self.lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def handle(self, method: str, target: str, headers: dict, body: bytes
               ) -> tuple[int, dict]:
        raise NotImplementedError

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self.lock:
            self.received.append(Received(handler.command, handler.path, headers, body))
        if self.fault == "hang":
            self._release.wait(30)
            return
        if self.fault == "slow":
            time.sleep(self.slow_seconds)
        if self.fault == "500":
            status, data = 500, {"error": "busy"}
        else:
            with self.lock:
                status, data = self.handle(handler.command, handler.path, headers, body)
        payload = json.dumps(data, ensure_ascii=False).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # our side gave up (a timeout)


def _handler(platform: FakePlatform):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            platform.serve(self)

        def do_POST(self):
            platform.serve(self)

        def log_message(self, format, *args):  # quiet
            pass

    return Handler
