"""An exported summary carries what it was made from; ``taizhang verify-summary`` checks a downloaded file
against the ledger and reports a figure changed in the file."""
from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from projections.provenance import _figures
from scripts.cli import cli
from scripts.demo import demo_payloads
from service.ledger import Ledger


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("prov")
    folder = root / "data"
    folder.mkdir()
    ledger = Ledger({"TAIZHANG_DATA": str(folder), "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                     "SQLITE_DBNAME": str(folder / "ledger.sqlite")})
    ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")
    ledger.close()
    keys = root / "log"
    assert run(folder, "keygen", "gsl.example/ledger", "--out", str(keys)).exit_code == 0
    return {"folder": folder, "signing": root / "log.key", "root": root}


def run(folder, *args, signing=None):
    env = {"TAIZHANG_DATA": str(folder), "PERSISTENCE_MODULE": None, "TAIZHANG_PERSISTENCE_MODULE": None,
           "TAIZHANG_SIGNING_KEY": str(signing) if signing else None, "TAIZHANG_PUBLIC_KEY": None}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.mark.parametrize("fmt", ["json", "xlsx", "docx"])
def test_a_genuine_export_verifies_and_a_changed_figure_is_reported(store, fmt, tmp_path):
    out = tmp_path / f"summary.{fmt}"
    made = run(store["folder"], "summary", "2020", "--format", fmt, "-o", str(out), signing=store["signing"])
    assert made.exit_code == 0, made.output
    ok = run(store["folder"], "verify-summary", str(out), signing=store["signing"])
    assert ok.exit_code == 0, ok.output
    assert "agree with the ledger" in ok.stdout
    if fmt == "json":
        body = json.loads(out.read_text(encoding="utf-8"))
        assert body["provenance"]["checkpoint"].startswith("gsl.example/ledger\n")
        figure = next(f for f in _figures(body) if f.get("value") not in (None, "0", 0))
        figure["value"] = "9999"
        out.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(out)
        ws = wb["指标"]
        row = next(r for r in ws.iter_rows(min_row=2) if isinstance(r[2].value, (int, float)) and r[2].value)
        figure = {"key": row[0].value}
        row[2].value = row[2].value * 9
        wb.save(out)
    else:
        from docx import Document

        doc = Document(io.BytesIO(out.read_bytes()))
        table = next(t for t in doc.tables if [c.text for c in t.rows[0].cells][:2] == ["指标", "数值"])
        cell = next(r.cells[1] for r in table.rows[1:] if r.cells[1].text.strip())
        figure = {"key": ""}
        cell.paragraphs[0].runs[0].text = "9999 亿元"
        doc.save(out)
    bad = run(store["folder"], "verify-summary", str(out), signing=store["signing"])
    assert bad.exit_code == 1
    assert "the file was changed" in bad.stderr and figure["key"] in bad.stderr


def test_an_export_is_refused_after_the_ledger_behind_it_was_rewritten(store, tmp_path):
    out = tmp_path / "summary.json"
    assert run(store["folder"], "summary", "2020", "--format", "json", "-o", str(out),
               signing=store["signing"]).exit_code == 0
    body = json.loads(out.read_text(encoding="utf-8"))
    body["provenance"]["figures"][0]["digest"] = "0" * 64
    out.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    bad = run(store["folder"], "verify-summary", str(out), signing=store["signing"])
    assert bad.exit_code == 1 and "its events differ" in bad.stderr
