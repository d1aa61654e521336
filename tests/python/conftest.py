"""Boots a real `switchboard serve` on port 0 for the python-socketio tests."""

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("SWITCHBOARD_BIN", str(ROOT / "target" / "debug" / "switchboard"))
SECRET = "python-test-secret-0123456789"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims: dict, secret: str = SECRET) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    unsigned = f"{header}.{body}"
    signature = hmac.new(secret.encode(), unsigned.encode(), hashlib.sha256).digest()
    return f"{unsigned}.{_b64(signature)}"


def token_for(sub: str, ttl: int = 3600, **extra) -> str:
    return sign({"sub": sub, "exp": int(time.time()) + ttl, **extra})


class Server:
    def __init__(self, extra_env=None):
        self.data_dir = tempfile.mkdtemp(prefix="switchboard-py-")
        env = {
            "PATH": os.environ["PATH"],
            "RUST_LOG": "info",
            "SWITCHBOARD_DATA_DIR": self.data_dir,
            "SWITCHBOARD_JWT_SECRET": SECRET,
            **(extra_env or {}),
        }
        self.process = subprocess.Popen(
            [BIN, "serve", "--port", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.logs = []
        found = threading.Event()
        self.url = None

        def read():
            for line in self.process.stderr:
                self.logs.append(line)
                match = re.search(r"listening on (http://\S+)", line)
                if match and not found.is_set():
                    self.url = match.group(1)
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(20):
            self.process.kill()
            raise RuntimeError("server did not start:\n" + "".join(self.logs))

    def stop(self):
        self.process.terminate()
        return self.process.wait(15)


@pytest.fixture(scope="module")
def server():
    running = Server()
    yield running
    assert running.stop() == 0
