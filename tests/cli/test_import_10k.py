"""A year of records at once: 10,000 lines through ``taizhang import``, all or nothing, idempotent."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain.uscc import make_uscc
from scripts.cli import cli
from tests.helpers import ACTION_KINDS, valid_payload

LINES = 10_000
BAD_LINE = 5000
CHAMBERS = [f"第{n}商会" for n in range(40)]


def payload(n: int) -> dict:
    """Line ``n`` (1-based): mostly actions of every kind, one line in ten a fact about a chamber or a firm."""
    day = f"2020-{1 + n % 12:02d}-{1 + n % 28:02d}"
    if n % 10 == 3:
        return valid_payload("chamber_membership", key=f"y-{n}", chamber=CHAMBERS[n % len(CHAMBERS)],
                             members=n % 500, occurred_on=day, ends_on=None)
    if n % 10 == 7:
        firm = {"name": f"企业{n}", "uscc": make_uscc(n)}
        kind = "reserve_pool" if n % 20 == 7 else "enterprise_listed"
        return valid_payload(kind, key=f"y-{n}", firms=[firm], occurred_on=day, ends_on=None)
    kind = ACTION_KINDS[n % len(ACTION_KINDS)]
    firms = [{"name": f"企业{n % 600}", "uscc": make_uscc(n % 600)}]
    return valid_payload(kind, key=f"y-{n}", firms=firms, occurred_on=day, ends_on=None, title=f"第{n}项工作")


def write(path: Path, bad: bool) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for n in range(1, LINES + 1):
            row = payload(n)
            if bad and n == BAD_LINE:
                row["occurred_on"] = "2020-02-30"
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


@pytest.mark.slow
def test_ten_thousand_lines_import_all_or_nothing_and_only_once(tmp_path, monkeypatch, sqlite_only):
    monkeypatch.setenv("TAIZHANG_DATA", str(tmp_path / "store"))
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    bad = run("import", str(write(tmp_path / "bad.jsonl", bad=True)))
    assert bad.exit_code == 1, bad.output
    assert "nothing imported, 1 bad line(s)" in bad.output
    assert f"line {BAD_LINE}: occurred_on:" in bad.output
    assert run("export", str(tmp_path / "after-bad.jsonl")).output.startswith("0 records")
    assert (tmp_path / "after-bad.jsonl").read_text(encoding="utf-8") == ""

    good = write(tmp_path / "good.jsonl", bad=False)
    started = time.monotonic()
    result = run("import", str(good))
    took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{LINES} lines: {LINES} added, 0 already recorded"

    exported = tmp_path / "export.jsonl"
    assert run("export", str(exported)).output.startswith(f"{LINES} records")
    lines = exported.read_text(encoding="utf-8").splitlines()
    assert len(lines) == LINES
    assert [json.loads(line)["key"] for line in lines] == [f"y-{n}" for n in range(1, LINES + 1)]

    again = run("import", str(good))
    assert again.exit_code == 0, again.output
    assert again.output.strip() == f"{LINES} lines: 0 added, {LINES} already recorded"
    print(f"\n10,000-line import took {took:.1f} s")
