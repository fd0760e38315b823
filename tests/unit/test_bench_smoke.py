"""Smoke run of the benchmark (scripts/bench.py --quick): it runs end to end and reports every figure.

Not a timing test: it checks the shape of the final JSON and that the rebuild folded every generated
event into the view.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_quick_bench_reports_every_figure(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PERSISTENCE_MODULE", "TAIZHANG_PERSISTENCE_MODULE", "TAIZHANG_DATA")}
    data = tmp_path / "bench"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--quick", "--data", str(data)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert any("rebuild speed vs raw scan (goal ≥ 0.5×)" in line for line in lines)
    assert any("goal: summary read p99 ≤ 20 ms, flat" in line for line in lines)
    result = json.loads(lines[-1])

    assert {"generation", "rebuild", "summary", "machine", "goals"} <= set(result)
    assert {"platform", "cpu_count", "python"} <= set(result["machine"])

    generated = result["generation"]
    assert generated["events"] == generated["created"] + generated["corrected"] + generated["retracted"] \
        + generated["logged_by_cycles"]
    assert generated["corrected"] > 0 and generated["retracted"] > 0

    rebuild = result["rebuild"]
    for key in ("rebuild_s", "rebuild_events_per_s", "raw_scan_s", "raw_scan_events_per_s", "ratio", "peak_rss_mb"):
        assert key in rebuild
    assert rebuild["events"] == generated["events"]
    assert rebuild["scanned"] == generated["events"]
    assert rebuild["view_events"] == generated["events"]
    assert rebuild["position"] == generated["events"]
    assert rebuild["view_retracted"] == generated["retracted"]
    assert isinstance(rebuild["ratio"], (int, float)) and rebuild["ratio"] > 0
    # the summaries read during the run kept their states: the rebuild's remaking of them is timed apart
    assert rebuild["states"] >= 1 and 0 < rebuild["ratio_with_states"] <= rebuild["ratio"]

    sizes = [s["events"] for s in result["summary"]]
    assert sizes == [500, 1000, 2000]
    for row in result["summary"]:
        for key in ("summary_first_ms", "summary_read_p50_ms", "summary_read_p99_ms", "cycle_p50_ms",
                    "cycle_p99_ms", "catch_up_ms", "cycles"):
            assert row[key] >= 0
        assert row["cycles"] == 50
        assert row["records_2020"] > 0


@pytest.mark.slow
def test_quick_bench_reports_the_http_and_verify_figures(tmp_path):
    """The write-side figures: every POST acknowledged (201) and verify OK over the generated store."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "scripts.bench", "--quick", "--data", str(tmp_path / "b"),
                           "--http-seconds", "2", "--verify-events", "1500"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    http = result["http"]
    assert http["requests"] > 0 and http["errors"] == 0 and http["clients"] == 16
    assert http["p99_ms"] >= http["p50_ms"] > 0 and http["raw_insert_rows_per_s"] > 0
    verify = result["verify"]
    assert verify["ok"] is True and verify["events"] == 1500
    # the headline figures of issue 9, every one at the top level (PostgreSQL's None when no server)
    for key in ("rebuild_ratio", "summary_after_event_ms", "summary_body_bytes", "post_p99_ms_16", "post_per_s_16",
                "append_ratio", "import_ratio", "verify_ratio", "rebuild_rss_mb", "pg_append_ratio",
                "pg_rebuild_ratio"):
        assert key in result, key
    for key in ("rebuild_ratio", "summary_body_bytes", "post_p99_ms_16", "post_per_s_16", "append_ratio",
                "import_ratio", "verify_ratio", "rebuild_rss_mb"):
        assert isinstance(result[key], (int, float)) and result[key] > 0, key
    assert set(result["summary_after_event_ms"]) == {"500", "1000", "2000"}
    assert all(v["p99"] >= v["p50"] > 0 for v in result["summary_after_event_ms"].values())
    assert result["import"]["added"] == result["import"]["lines"]
