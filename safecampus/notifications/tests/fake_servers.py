"""A fake webhook / Tencent Cloud API server on loopback (``http.server`` in a thread,
port 0) for channel tests: it records every request and answers as told."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeServer:
    """``mode``: ``ok`` (``{"errcode": 0, "errmsg": "ok"}``, or ``ok_body`` when set),
    ``http500``, ``errcode`` (93000 invalid webhook url), ``sleep`` (``sleep_seconds``,
    e.g. past the client's timeout) or ``raw`` (``raw_body`` as given); with
    ``redirect_to`` set it answers 302 to that address.
    ``requests``: ``[{"path", "query", "headers", "json"}]``."""

    def __init__(self):
        self.mode = "ok"
        self.ok_body: dict | None = None
        self.raw_body = ""
        self.sleep_seconds = 2.0
        self.redirect_to = ""
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                parts = urlsplit(self.path)
                try:
                    payload = json.loads(data or b"{}")
                except ValueError:
                    payload = None
                server.requests.append({"path": parts.path, "query": parse_qs(parts.query),
                                        "headers": dict(self.headers), "json": payload})
                if server.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", server.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if server.mode == "sleep":
                    time.sleep(server.sleep_seconds)
                if server.mode == "http500":
                    return self._answer(500, "internal error")
                if server.mode == "errcode":
                    return self._answer(200, json.dumps(
                        {"errcode": 93000, "errmsg": "invalid webhook url"}))
                if server.mode == "raw":
                    return self._answer(200, server.raw_body)
                return self._answer(200, json.dumps(
                    server.ok_body if server.ok_body is not None
                    else {"errcode": 0, "errmsg": "ok"}))

            def _answer(self, status: int, text: str):
                body = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "FakeServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
