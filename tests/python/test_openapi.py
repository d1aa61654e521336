"""SPEC §9: the served OpenAPI document covers every route, and schemathesis,
generating requests from it, finds no server error."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conftest import Server, token_for

API_KEY = "schemathesis-key-0123456789"
ROUTES = {
    "/api/v1/processes",
    "/api/v1/processes/{id}",
    "/api/v1/publish",
    "/api/v1/agent-status",
    "/api/v1/chat-messages",
    "/api/v1/stats",
    "/api/v1/notifications",
    "/api/v1/notifications/{id}/read",
    "/api/v1/media",
    "/api/v1/media/{id}/progress",
    "/api/v1/media/{id}/complete",
    "/api/v1/media/{id}/error",
    "/api/v1/workflows",
    "/api/v1/workflows/{id}",
    "/api/v1/workflows/{id}/executions",
    "/api/v1/executions/{id}",
    "/api/v1/executions/{id}/approvals",
    "/api/v1/executions/{id}/cancel",
    "/api/v1/executions/{id}/pause",
    "/api/v1/executions/{id}/resume",
}


@pytest.fixture(scope="module")
def api_server():
    running = Server({"SWITCHBOARD_API_KEYS": API_KEY})
    yield running
    assert running.stop() == 0


def test_document_covers_every_route(api_server):
    document = requests.get(f"{api_server.url}/api/v1/openapi.json", timeout=5).json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == ROUTES
    assert "bearer" in document["components"]["securitySchemes"]


@pytest.mark.parametrize("credential", ["api-key", "user-token"])
def test_schemathesis_finds_no_server_error(api_server, credential):
    bearer = API_KEY if credential == "api-key" else token_for("fuzz-user")
    schemathesis = Path(sys.executable).parent / "schemathesis"
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{api_server.url}/api/v1/openapi.json",
            "--url",
            api_server.url,
            "--header",
            f"Authorization: Bearer {bearer}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "30",
            "--seed",
            "20261122",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in result.stdout
