"""schemathesis against /api/openapi.json with a staff token: at least 1,000 requests, all operations,
all checks; 0 server errors and 0 spec mismatches (schema-valid requests refused, invalid ones
accepted, answers unlike the spec). The server runs from the app factory under waitress (loopback).
Counts come from schemathesis' own VCR cassette of every request it sent."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MIN_REQUESTS = 1000
# What OpenAPI 3.0 cannot state, so a schema-valid body may still be refused (422), printed and counted:
# an end date before the start date (a rule across fields), and a correction's `changes` naming fields
# the record's kind does not have (the kind is the stored record's, not in the request), and an evidence
# file judged by its bytes (PDF, PNG, JPEG, xlsx, docx; not empty; under the configured size), which a
# "format: binary" cannot state. Known, not fixed.
CROSS_FIELD_RULES = ("the end date is before the start date", '{"code":422,"errors":{"changes":{',
                     '{"code":422,"errors":{"file":[')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _st() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if not found:
        message = "schemathesis is not installed (pip install -e '.[test]')"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def server(tmp_path):
    from service.accounts import Accounts
    from service.ledger import Ledger
    from tests.helpers import valid_payload

    data = tmp_path / "data"
    accounts = Accounts(data)
    accounts.add("li_staff", "staff", "staff-pass-123")
    token = accounts.issue_token("li_staff")
    ledger = Ledger({"TAIZHANG_DATA": str(data)})
    for i, kind in enumerate(("job_fair", "problem", "training")):
        ledger.log(valid_payload(kind, f"seed-{i}", occurred_on="2020-05-12"), actor="li_staff")
    del ledger
    port = _free_port()
    env = {**os.environ, "TAIZHANG_DATA": str(data), "TAIZHANG_ENV": "development",
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "waitress", "--host", "127.0.0.1", f"--port={port}",
                             "--threads=4", "--call", "api:create_app"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "w"))
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start: " + (tmp_path / "server.log").read_text()[-2000:])
        yield url, token, tmp_path
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_spec_mismatch(server):
    url, token, tmp_path = server
    cassette = tmp_path / "cassette.yaml"
    done = subprocess.run(
        [_st(), "run", f"{url}/api/openapi.json", "-H", f"Authorization: Bearer {token}", "-n", "60", "-c", "all",
         "--seed", "2", "--workers", "1", "--report", "vcr", "--report-vcr-path", str(cassette),
         "--no-color"], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    output = done.stdout + done.stderr
    statuses = [int(code) for code in re.findall(r"^\s+status:\s*\n\s+code:\s*'?(\d{3})", cassette.read_text(),
                                                 re.MULTILINE)]
    server_errors = sum(code >= 500 for code in statuses)
    failures = re.split(r"^(?=- ST\d+ )", output, flags=re.MULTILINE)[1:]
    mismatches = [f.splitlines()[0][2:] for f in failures
                  if not any(rule in f.split("Reproduce with")[0] for rule in CROSS_FIELD_RULES)]
    allowed = len(failures) - len(mismatches)
    summary = output[output.find("SUMMARY"):] if "SUMMARY" in output else output[-3000:]
    print(f"schemathesis: {len(statuses)} requests, {server_errors} server errors, "
          f"{len(mismatches)} spec mismatches {sorted(set(mismatches))}, {allowed} refusals the spec "
          f"cannot state\n{summary}")
    assert len(statuses) >= MIN_REQUESTS
    assert server_errors == 0, output[-6000:]
    assert not mismatches, output[-8000:]
