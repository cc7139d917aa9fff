"""The contract as a mobile team meets it: a client generated from the served OpenAPI document
with openapi-python-client (pinned in the dev extras) without a single generator warning, used
for an anonymous read, and the document linted by Redocly's CLI (pinned in tools/redocly,
installed by `make contract-deps`, which CI runs) with no error and no warning."""

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from tests.factories import make_listing

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
REDOCLY = Path(settings.BASE_DIR) / "tools" / "redocly" / "node_modules" / ".bin" / "redocly"
IN_CI = os.environ.get("CI") == "true" or os.environ.get("SHANHUO_REQUIRE_SERVICES") == "1"
PACKAGE = "shanhuo_client"


@pytest.fixture
def served_document(api, tmp_path) -> Path:
    """The document as the server gives it; serving it reads no database."""
    response = api.get("/openapi.json")
    assert response.status_code == 200
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(response.json(), ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def in_process_requests():
    """Requests sent straight into the WSGI handler keep the test's database connection (see
    tests/whole_site/test_fuzz.py's fuzz_world)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def generate(document: Path, out: Path) -> subprocess.CompletedProcess:
    config = out / "config.json"
    config.write_text(json.dumps({"project_name_override": "shanhuo-client",
                                  "package_name_override": PACKAGE, "post_hooks": []}))
    return subprocess.run(
        [str(GENERATOR), "generate", "--path", str(document), "--meta", "none",
         "--config", str(config)],
        cwd=out, capture_output=True, text=True, timeout=300,
    )


def test_a_generated_python_client_has_no_warning_and_reads_a_listing_signed_out(
    served_document, tmp_path, in_process_requests, db
):
    # when a client is generated from the served document
    result = generate(served_document, tmp_path)
    output = (result.stdout + result.stderr).strip().splitlines()
    # then the generator says nothing but that it generated it
    assert result.returncode == 0, output
    assert [line for line in output if line.strip() and not line.startswith("Generating ")] == []
    # and the most common anonymous read works with it, with no token
    import httpx

    sys.path.insert(0, str(tmp_path))
    try:
        client_module = importlib.import_module(f"{PACKAGE}.client")
        listing_detail = importlib.import_module(f"{PACKAGE}.api.producers.listing_detail")
        # a signed-out client is enough (optional auth is "bearer or none" in the document)
        assert "client: AuthenticatedClient | Client" in Path(listing_detail.__file__).read_text()
        listing = make_listing(title="太康县红富士苹果")
        client = client_module.Client(
            base_url="http://testserver",
            httpx_args={"transport": httpx.WSGITransport(app=in_process_requests)},
        )
        answer = listing_detail.sync_detailed(client=client, listing_id=listing.pk)
        assert answer.status_code == 200
        assert answer.parsed.title == "太康县红富士苹果"
        assert str(answer.parsed.price) == "12.50"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.mark.backend_independent
def test_redocly_finds_no_error_and_no_warning(served_document):
    if not REDOCLY.exists():
        if IN_CI:
            pytest.fail("Redocly's CLI is missing: `make contract-deps` (CI runs it)")
        pytest.skip("Redocly's CLI is not installed: `make contract-deps` (needs Node.js and npm)")
    if shutil.which("node") is None:
        pytest.fail("Node.js is missing")
    result = subprocess.run(
        [str(REDOCLY), "lint", str(served_document), "--format=json"],
        capture_output=True, text=True, timeout=300,
    )
    report = json.loads(result.stdout[result.stdout.index("{"):])
    problems = [(p["severity"], p["ruleId"], p["message"]) for p in report["problems"]]
    assert problems == []
    assert result.returncode == 0
