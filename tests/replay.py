"""A local HTTP server on 127.0.0.1 that replays recorded registry responses.

Tests queue responses per path; each request takes the next one (the last one repeats)
and is recorded, so a test can check what the portal really sent. ``max_in_flight`` is the
most requests the server was answering at the same time.
"""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0  # seconds before answering (to provoke read timeouts)


class ReplayServer:
    def __init__(self):
        self.replies = {}
        self.requests = []  # (path, headers)
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                # In flight from the request's arrival until just before the answer starts,
                # so that a client can never see its answer while still counted here.
                with server.lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                server.requests.append((self.path, dict(self.headers)))
                path = self.path.split("?", 1)[0]
                queue = server.replies.get(path) or [Reply(404, b"Resource not found.", {})]
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
                time.sleep(reply.delay)
                with server.lock:
                    server.in_flight -= 1
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def reply(self, path, *replies):
        """Queue replies for a path (URL-quoted, as the client sends it)."""
        self.replies[path] = list(replies)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
