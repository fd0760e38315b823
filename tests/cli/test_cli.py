"""The ``taizhang`` command: kinds, log, import/export, history, show, correct, retract, storage."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain.uscc import make_uscc
from scripts.cli import cli
from service.ledger import record_id_for
from tests.helpers import (
    CHAMBER_KINDS,
    ENTERPRISE_KINDS,
    FIRM,
    KIND_KEYS,
    ORG,
    is_bilingual,
    valid_payload,
)


@pytest.fixture
def store(tmp_path, monkeypatch, sqlite_only) -> Path:
    """The CLI's data folder: TAIZHANG_DATA under tmp_path."""
    folder = tmp_path / "store"
    monkeypatch.setenv("TAIZHANG_DATA", str(folder))
    return folder


@pytest.fixture
def run(store):
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


def export_text(run, path: Path) -> str:
    result = run("export", str(path))
    assert f"written to {path}" in result.output
    return path.read_text(encoding="utf-8")


def write_jsonl(path: Path, payloads: list) -> Path:
    path.write_text("".join((p if isinstance(p, str) else json.dumps(p, ensure_ascii=False)) + "\n"
                            for p in payloads), encoding="utf-8")
    return path


LOG_JOB_FAIR = ("log", "job_fair", "--key", "fair-1", "--organisation", ORG, "--title", "线上招聘会",
                "--occurred-on", "2020-05-12", "--mode", "online", "--posts", "1000余",
                "--seekers-matched", "597", "--firm", f"{FIRM['name']}={FIRM['uscc']}",
                "--firm", make_uscc(5), "--firm", "武汉丙商贸有限公司")


# --- kinds -----------------------------------------------------------------------------------------

# Each row of the kinds table in /work/shared/domain-notes.md: the kinds that record it, and
# (kind, field, choices it must offer) for the figures the row carries.
DOMAIN_NOTES_ROWS = {
    "理想信念教育培训 / 知识讲座 / 宣讲": (["training", "talk"],
                                [("training", "participants", None), ("training", "topic", None),
                                 ("talk", "participants", None)]),
    "印发政策汇编": (["policy_booklet"], [("policy_booklet", "copies", None)]),
    "招聘会（线上/线下）": (["job_fair"], [("job_fair", "mode", {"online", "offline"}),
                                    ("job_fair", "posts", None), ("job_fair", "seekers_matched", None)]),
    "税企互动": (["tax_guidance"], [("tax_guidance", "firms_served", None)]),
    "银企对接会": (["matchmaking", "deal"], [("matchmaking", "firms_with_intent", None), ("deal", "amount", None)]),
    "法律服务 / 涉诉协调": (["legal_service", "litigation_help"],
                      [("legal_service", "firms_served", None), ("litigation_help", "firms_served", None)]),
    "上市服务": (["listing_support", "enterprise_listed", "reserve_pool"],
             [("listing_support", "issues_resolved", None), ("enterprise_listed", "board", None),
              ("reserve_pool", "pool", {"gold", "silver"})]),
    "寻苗行动 / 问卷调查 / 调研": (["survey"], [("survey", "method", {"seedling", "questionnaire", "research"}),
                                    ("survey", "firms_surveyed", None), ("survey", "reports", None)]),
    "座谈会": (["symposium"], [("symposium", "participants", None)]),
    "精准扶贫": (["poverty_relief"], [("poverty_relief", "households", None), ("poverty_relief", "people", None)]),
    "捐款捐物": (["donation"], [("donation", "form", {"money", "goods"}), ("donation", "amount", None),
                            ("donation", "donor_type", {"chamber", "firm"}), ("donation", "donor", None)]),
    "下沉社区": (["cadre_deployed"], [("cadre_deployed", "people", None)]),
    "直播带货": (["livestream"], [("livestream", "views", None)]),
    "商会换届 / 新建商会 / 筹建": (["chamber_election", "chamber_founded", "chamber_preparing"],
                         [("chamber_election", "chamber", None), ("chamber_founded", "chamber", None),
                          ("chamber_preparing", "chamber", None)]),
    "会员 / 党员": (["chamber_membership"], [("chamber_membership", "members", None),
                                       ("chamber_membership", "party_members", None)]),
    "评选表彰": (["award"], [("award", "level", {"national", "provincial", "municipal", "district"}),
                         ("award", "recipient", None)]),
}


def test_kinds_as_json_lists_every_kind_with_its_fields(run):
    cat = json.loads(run("kinds", "--format", "json").output)
    assert len(cat) >= 18
    assert [k["kind"] for k in cat] == KIND_KEYS
    for k in cat:
        names = [f["name"] for f in k["fields"]]
        assert {"key", "kind", "firms", "organisation", "occurred_on", "title"} <= set(names)
        assert k["zh"] and k["en"] and k["theme_zh"]


@pytest.mark.parametrize("row", list(DOMAIN_NOTES_ROWS))
def test_kinds_cover_each_row_of_the_domain_notes(run, row):
    cat = {k["kind"]: k for k in json.loads(run("kinds", "--format", "json").output)}
    kinds, figures = DOMAIN_NOTES_ROWS[row]
    for key in kinds:
        assert key in cat, f"{row}: no kind {key}"
    for key, name, choices in figures:
        fields = {f["name"]: f for f in cat[key]["fields"]}
        assert name in fields, f"{row}: {key} lacks {name}"
        if choices:
            assert choices <= set(fields[name]["choices"]), (row, key, name)


def test_kinds_put_facts_about_chambers_and_enterprises_in_their_aggregates(run):
    cat = {k["kind"]: k for k in json.loads(run("kinds", "--format", "json").output)}
    assert {k for k, v in cat.items() if v["aggregate"] == "chamber"} == set(CHAMBER_KINDS)
    assert {k for k, v in cat.items() if v["aggregate"] == "enterprise"} == set(ENTERPRISE_KINDS)
    assert cat["deal"]["fields"][-1]["name"] == "bank"
    amount = next(f for f in cat["deal"]["fields"] if f["name"] == "amount")
    assert (amount["type"], amount["unit"]) == ("money", "元")


def test_kinds_as_text_lists_every_kind_with_its_options(run):
    out = run("kinds").output.splitlines()
    assert len(out) == len(KIND_KEYS)
    fair = next(line for line in out if line.startswith("job_fair"))
    assert "招聘会" in fair and "--mode" in fair and "--posts" in fair and "--organisation" not in fair


# --- log -------------------------------------------------------------------------------------------

def test_log_records_an_action_and_prints_its_id(run, tmp_path):
    result = run(*LOG_JOB_FAIR, "--actor", "alice")
    rid = str(record_id_for("fair-1"))
    assert result.output.strip() == rid
    record = json.loads(run("show", rid).output)
    assert record["posts"] == {"value": 1000, "approx": "余"}
    assert record["seekers_matched"] == {"value": 597, "approx": None}
    assert record["firms"] == [FIRM, {"name": None, "uscc": make_uscc(5)}, {"name": "武汉丙商贸有限公司", "uscc": None}]
    assert record["logged_by"] == "alice"
    assert record["theme"] == "business"


def test_log_twice_with_the_same_key_says_it_is_already_recorded(run, tmp_path):
    run(*LOG_JOB_FAIR)
    again = run(*LOG_JOB_FAIR)
    assert again.output.strip() == f"{record_id_for('fair-1')} (already recorded)"
    assert export_text(run, tmp_path / "out.jsonl").count("\n") == 1


def test_log_takes_the_actor_from_the_environment_and_json_values(run, monkeypatch):
    monkeypatch.setenv("TAIZHANG_ACTOR", "李干事")
    out = run("log", "donation", "--organisation", ORG, "--title", "疫情捐款", "--occurred-on=2020-02-10",
              "--form", "money", "--amount", "近300000", "--cause", "epidemic", "--donor-type", "chamber",
              "--donor-count", '{"value": 40, "approx": "多"}').output.strip()
    record = json.loads(run("show", out).output)
    assert record["logged_by"] == "李干事"
    assert record["amount"] == {"value": "300000.00", "approx": "近"}
    assert record["donor_count"] == {"value": 40, "approx": "多"}
    assert record["occurred_on"] == "2020-02-10"


def test_log_with_bad_values_names_each_field_and_stores_nothing(run, tmp_path):
    result = run("log", "job_fair", "--organisation", ORG, "--title", "招聘会", "--occurred-on", "2020-05-12",
                 "--posts", "-3", "--firm", "甲公司=91420112MA4K0000X9", code=1)
    out = result.output
    assert "未保存 / nothing stored" in out
    assert "mode:" in out and "posts:" in out and "firms.0.uscc:" in out
    for line in out.splitlines()[1:]:
        assert is_bilingual(line), line
    assert export_text(run, tmp_path / "out.jsonl") == ""


def test_log_of_an_unknown_kind_names_it(run):
    result = run("log", "banquet", "--title", "宴会", code=1)
    assert "kind:" in result.output and "banquet" in result.output


@pytest.mark.parametrize("args, said", [(("--title",), "--title needs a value"),
                                        (("stray",), "unexpected argument: stray")],
                         ids=["option-without-value", "stray-argument"])
def test_log_with_malformed_options_is_a_usage_error(run, store, args, said):
    result = run("log", "training", *args, code=2)
    assert said in result.output
    assert not (store / "ledger.sqlite").exists() or "0 records" in run("export", str(store / "x.jsonl")).output


# --- show, history, correct, retract ----------------------------------------------------------------

def test_correct_and_history_through_the_command_line(run):
    rid = run(*LOG_JOB_FAIR, "--actor", "alice").output.strip()
    result = run("correct", rid, "--reason", "录入错误", "--posts", "9048", "--actor", "bob")
    assert result.output.strip() == "corrected, now version 2"
    assert json.loads(run("show", rid).output)["posts"] == {"value": 9048, "approx": None}

    story = json.loads(run("history", rid).output)
    assert [(item["event"], item["actor"]) for item in story] == [("JobFairHeld", "alice"), ("Corrected", "bob")]
    assert story[1]["reason"] == "录入错误"
    assert story[1]["changes"] == {"posts": {"from": {"value": 1000, "approx": "余"},
                                             "to": {"value": 9048, "approx": None}}}


def test_correct_refuses_a_stale_version_and_a_change_of_nothing(run):
    rid = run(*LOG_JOB_FAIR).output.strip()
    run("correct", rid, "--reason", "录入错误", "--posts", "9048", "--expected-version", "1")
    stale = run("correct", rid, "--reason", "另一处", "--posts", "8000", "--expected-version", "1", code=1)
    assert "nothing stored" in stale.output and "version 2, not 1" in stale.output
    same = run("correct", rid, "--reason", "没变", "--posts", "9048", code=1)
    assert "changes nothing" in same.output
    blank = run("correct", rid, "--reason", "  ", "--posts", "1", code=1)
    assert "reason" in blank.output
    bad = run("correct", rid, "--reason", "更正", "--posts", "很多", code=1)
    assert "posts:" in bad.output
    assert json.loads(run("show", rid).output)["version"] == 2


def test_correct_without_a_reason_is_a_usage_error(run):
    rid = run(*LOG_JOB_FAIR).output.strip()
    result = run("correct", rid, "--posts", "9048", code=2)
    assert "--reason" in result.output
    assert json.loads(run("show", rid).output)["version"] == 1


def test_retract_then_correct_is_refused(run, tmp_path):
    rid = run(*LOG_JOB_FAIR).output.strip()
    assert run("retract", rid, "--reason", "重复录入").output.strip() == "retracted, now version 2"
    refused = run("correct", rid, "--reason", "更正", "--posts", "1", code=1)
    assert "retracted" in refused.output
    again = run("retract", rid, "--reason", "再撤", code=1)
    assert "already retracted" in again.output
    record = json.loads(run("show", rid).output)
    assert record["retracted"] is True and record["retraction_reason"] == "重复录入"
    assert export_text(run, tmp_path / "out.jsonl") == ""
    assert [i["event"] for i in json.loads(run("history", rid).output)] == ["JobFairHeld", "Retracted"]


def test_a_chamber_fact_through_the_command_line(run):
    rid = run("log", "chamber_membership", "--key", "m", "--organisation", ORG, "--title", "会员",
              "--occurred-on", "2020-12-31", "--chamber", "湖北商会", "--members", "90").output.strip()
    run("correct", rid, "--reason", "复核", "--members", "97")
    moved = run("correct", rid, "--reason", "改名", "--chamber", "湖南商会", code=1)
    assert "another chamber" in moved.output
    story = json.loads(run("history", rid).output)
    assert [i["event"] for i in story] == ["MembershipCounted", "FactCorrected"]
    assert json.loads(run("show", rid).output)["members"]["value"] == 97


@pytest.mark.parametrize("command", ["history", "show"])
def test_history_and_show_of_bad_ids(run, command):
    not_an_id = run(command, "fair-1", code=2)
    assert "not a record id" in not_an_id.output
    unknown = run(command, str(record_id_for("nobody")), code=1)
    assert "no record" in unknown.output


def test_storage_shows_wal_and_full_sync(run, store):
    settings = json.loads(run("storage").output)
    assert settings == {"store": "sqlite", "file": str(store / "ledger.sqlite"), "journal_mode": "wal",
                        "synchronous": 2}


# --- import and export ----------------------------------------------------------------------------

def file_of_every_kind() -> list[dict]:
    rows = [valid_payload(k, key=f"full-{k}") for k in KIND_KEYS]
    rows += [valid_payload(k, key=f"min-{k}", minimal=True) for k in KIND_KEYS]
    rows.append(valid_payload("job_fair", key="approx", posts="1000余", seekers_matched={"value": 20, "approx": "多"}))
    rows.append(valid_payload("deal", key="money", amount="近300000"))
    return rows


def test_export_imports_into_an_empty_store_and_exports_the_same_bytes(run, tmp_path, monkeypatch):
    source = write_jsonl(tmp_path / "in.jsonl", file_of_every_kind())
    n = len(KIND_KEYS) * 2 + 2
    assert run("import", str(source)).output.strip() == f"{n} lines: {n} added, 0 already recorded"
    # the store moves on: a correction, a retraction, and a record logged without a key
    run("correct", str(record_id_for("full-job_fair")), "--reason", "更正", "--posts", "9048")
    run("correct", str(record_id_for("full-chamber_membership")), "--reason", "复核", "--members", "97")
    run("retract", str(record_id_for("full-training")), "--reason", "重复")
    run("log", "talk", "--organisation", ORG, "--title", "法治讲座", "--occurred-on", "2020-06-01")
    first = export_text(run, tmp_path / "first.jsonl")
    lines = first.splitlines()
    assert len(lines) == n  # one retracted, one logged
    assert json.loads(lines[0])["key"] == "full-talk"  # in the order first logged; full-training is gone
    assert re.fullmatch(r"[0-9a-f]{32}", json.loads(lines[-1])["key"])  # the keyless record got a key
    by_key = {json.loads(line)["key"]: json.loads(line) for line in lines}
    assert "full-training" not in by_key
    assert by_key["full-job_fair"]["posts"] == {"value": 9048, "approx": None}
    assert by_key["full-chamber_membership"]["members"] == {"value": 97, "approx": None}

    monkeypatch.setenv("TAIZHANG_DATA", str(tmp_path / "empty"))
    assert export_text(run, tmp_path / "empty.jsonl") == ""
    assert run("import", str(tmp_path / "first.jsonl")).output.strip() == f"{n} lines: {n} added, 0 already recorded"
    second = (tmp_path / "second.jsonl")
    export_text(run, second)
    assert second.read_bytes() == (tmp_path / "first.jsonl").read_bytes()
    again = run("import", str(tmp_path / "first.jsonl")).output.strip()
    assert again == f"{n} lines: 0 added, {n} already recorded"


def test_a_bad_file_stores_nothing_and_names_every_bad_line(run, tmp_path):
    good = [valid_payload("job_fair", key=f"g{n}") for n in range(5)]
    rows: list = [good[0], good[1],
                  valid_payload("job_fair", key="b3", posts="很多"),  # line 3
                  good[2],
                  "{oops",  # line 5
                  valid_payload("reserve_pool", key="b6", firms=[]),  # line 6
                  good[3],
                  valid_payload("job_fair", key="g0"),  # line 8: the key of line 1
                  "",
                  {"kind": "banquet"},  # line 10
                  good[4]]
    result = run("import", str(write_jsonl(tmp_path / "bad.jsonl", rows)), code=1)
    out = result.output
    assert "nothing imported, 5 bad line(s)" in out
    for number, field in [(3, "posts"), (5, "_line"), (6, "firms"), (8, "key"), (10, "kind")]:
        assert f"line {number}: {field}" in out, out
    for number in (1, 2, 4, 7, 9, 11):
        assert f"line {number}:" not in out
    assert export_text(run, tmp_path / "after.jsonl") == ""


def test_importing_a_missing_file_is_a_usage_error(run, tmp_path):
    result = run("import", str(tmp_path / "nope.jsonl"), code=2)
    assert "nope.jsonl" in result.output


def test_summary_as_pdf(run, tmp_path):
    run("demo")
    out = tmp_path / "summary.pdf"
    run("summary", "2020", "--format", "pdf", "-o", str(out))
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and b"/FontFile2" in data
