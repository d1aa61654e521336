"""SPEC §2-§3 through the python-socketio client: handshake, auth, rooms, ping."""

import threading

import pytest
import socketio

from conftest import sign, token_for

TRANSPORTS = [["websocket"], ["polling"]]


class Recorder:
    """A client that records every event it receives."""

    def __init__(self):
        self.client = socketio.Client(reconnection=False)
        self.events = {}
        self.arrived = threading.Condition()

        @self.client.on("*")
        def any_event(event, *args):
            with self.arrived:
                self.events.setdefault(event, []).append(args[0] if args else None)
                self.arrived.notify_all()

    def wait_for(self, event, timeout=5):
        with self.arrived:
            if not self.arrived.wait_for(lambda: event in self.events, timeout):
                raise AssertionError(f"no {event!r}; got {sorted(self.events)}")
            return self.events[event][0]


@pytest.mark.parametrize("transports", TRANSPORTS)
def test_handshake_token_authenticates(server, transports):
    recorder = Recorder()
    recorder.client.connect(server.url, auth={"token": token_for("py-alice")}, transports=transports, wait_timeout=5)
    welcome = recorder.wait_for("welcome")
    assert welcome["socketId"] == recorder.client.get_sid("/")
    assert recorder.wait_for("authenticated")["userId"] == "py-alice"
    info = recorder.client.call("getConnectionInfo", timeout=5)
    assert "user:py-alice" in info["rooms"]
    assert info["authenticated"] is True
    recorder.client.disconnect()


@pytest.mark.parametrize("transports", TRANSPORTS)
def test_bad_token_is_refused(server, transports):
    client = socketio.Client(reconnection=False)
    reasons = []
    client.on("connect_error", lambda data: reasons.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            server.url,
            auth={"token": sign({"sub": "x"}, secret="wrong-secret-wrong-secret")},
            transports=transports,
            wait_timeout=5,
        )
    assert reasons, "connect_error handler not called"
    message = reasons[0]["message"] if isinstance(reasons[0], dict) else reasons[0]
    assert message == "Authentication error"


def test_anonymous_then_authenticate_event(server):
    recorder = Recorder()
    recorder.client.connect(server.url, transports=["websocket"], wait_timeout=5)
    recorder.wait_for("welcome")
    assert "authenticated" not in recorder.events
    failed = recorder.client.call("joinRoom", "lobby", timeout=5)
    assert failed["success"] is False
    assert recorder.wait_for("error")["code"] == "UNAUTHORIZED"

    answer = recorder.client.call("authenticate", {"token": token_for("py-bob")}, timeout=5)
    assert answer == {"success": True, "userId": "py-bob"}
    assert recorder.wait_for("authenticated")["userId"] == "py-bob"
    joined = recorder.client.call("joinRoom", "lobby", timeout=5)
    assert joined == {"success": True, "room": "lobby"}
    assert recorder.wait_for("roomJoined") == {"room": "lobby", "success": True}
    left = recorder.client.call("leaveRoom", "lobby", timeout=5)
    assert left == {"success": True, "room": "lobby"}
    recorder.client.disconnect()


@pytest.mark.parametrize("transports", TRANSPORTS)
def test_ping_and_heartbeat(server, transports):
    recorder = Recorder()
    recorder.client.connect(server.url, auth={"token": token_for("py-carol")}, transports=transports, wait_timeout=5)
    pong = recorder.client.call("ping", timeout=5)
    assert isinstance(pong["timestamp"], int)
    assert recorder.wait_for("pong")["timestamp"] >= pong["timestamp"] - 1
    import time

    sent = int(time.time() * 1000) - 50
    beat = recorder.client.call("heartbeat", {"timestamp": sent}, timeout=5)
    assert beat["latency"] >= 50
    assert isinstance(beat["serverTime"], str)
    assert recorder.wait_for("heartbeatAck")["timestamp"] == beat["timestamp"]
    recorder.client.disconnect()
