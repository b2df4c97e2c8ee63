#!/usr/bin/env python3
"""The fibonacci service of seed 001, for Drover.

Each instance answers GET /fibonacci/<n> by asking *other instances* for fib(n-1) and fib(n-2).
It finds them through Drover's discovery (the Consul-compatible health API, only passing
instances) and spreads calls over them at random (client-side load balancing). Small n are
computed locally so the fan-out stays bounded. GET /stats tells how many requests it served.

Environment: PORT0 (given by Drover), SERVICE (default "fibonacci"), DISCOVERY_URL (the Drover
server, e.g. http://127.0.0.1:8080).
"""
import json
import os
import random
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = os.environ.get("SERVICE", "fibonacci")
DISCOVERY = os.environ.get("DISCOVERY_URL", "http://127.0.0.1:8080").rstrip("/")
LOCAL_BELOW = 6
served = 0
lock = threading.Lock()
_cache = {"at": 0.0, "instances": []}


def instances():
    """Passing instances of the service, cached for a second."""
    now = time.monotonic()
    if now - _cache["at"] > 1.0:
        with urllib.request.urlopen(f"{DISCOVERY}/v1/health/service/{SERVICE}?passing", timeout=5) as r:
            entries = json.load(r)
        _cache["instances"] = [(e["Service"]["Address"] or e["Node"]["Address"], e["Service"]["Port"]) for e in entries]
        _cache["at"] = now
    return _cache["instances"]


def fib_local(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def fib_remote(n):
    choices = instances()
    if not choices:
        return fib_local(n)
    host, port = random.choice(choices)
    with urllib.request.urlopen(f"http://{host}:{port}/fibonacci/{n}", timeout=30) as r:
        return int(r.read())


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        global served
        parts = self.path.strip("/").split("/")
        if parts == ["health"]:
            return self.reply(200, "ok")
        if parts == ["stats"]:
            return self.reply(200, json.dumps({"served": served, "port": self.server.server_port}))
        if len(parts) == 2 and parts[0] == "fibonacci" and parts[1].isdigit():
            n = int(parts[1])
            with lock:
                served += 1
            try:
                value = fib_local(n) if n < LOCAL_BELOW else fib_remote(n - 1) + fib_remote(n - 2)
            except Exception as e:  # an instance went away mid-call: say so, the caller retries elsewhere
                return self.reply(503, f"error: {e}")
            return self.reply(200, str(value))
        self.reply(404, "not found")

    def reply(self, code, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))


if __name__ == "__main__":
    port = int(os.environ.get("PORT0", "8000"))
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
