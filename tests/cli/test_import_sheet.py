"""``taizhang import FILE.xlsx --kind …``: an Excel 台账 imported all or nothing; the same sheet again
adds nothing; a bad cell stops the import (exit 1) naming its row, column and why, and stores nothing."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain.uscc import make_uscc
from scripts.cli import cli
from service.bootstrap import Settings, bootstrap
from tests.helpers import ORG, xlsx_bytes

CODE = make_uscc(1)
HEADER = ["序号", "日期", "活动名称", "形式", "提供岗位数（个）", "参与企业", "备注"]
ROWS = [[1, datetime(2020, 5, 12), "线上招聘会", "线上", "1200余", f"武汉甲科技有限公司、武汉乙实业有限公司 {CODE}", None],
        [2, "2020年6月1日至3日", "线下招聘会", "线下", 40, "武汉丙有限公司", "区人社局联办"],
        [3, "2020.7.8", "高校毕业生专场", "线下", "近300", None, None],
        ["合计", None, None, None, 1540, None, None]]


@pytest.fixture
def store(tmp_path, monkeypatch, sqlite_only) -> Path:
    folder = tmp_path / "store"
    monkeypatch.setenv("TAIZHANG_DATA", str(folder))
    monkeypatch.setenv("TAIZHANG_ACTOR", "李四")
    return folder


def run(*args: str, code: int = 0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def sheet(tmp_path: Path, rows=ROWS, name="招聘会台账.xlsx") -> str:
    path = tmp_path / name
    path.write_bytes(xlsx_bytes([HEADER, *rows], title_row="2020年招聘会工作台账"))
    return str(path)


def records(store: Path) -> list[dict]:
    return [json.loads(line) for line in bootstrap(Settings.from_env(store)).ledger.export_lines()]


def test_an_xlsx_is_imported_once_and_importing_it_again_adds_nothing(store, tmp_path):
    path = sheet(tmp_path)
    first = run("import", path, "--kind", "job_fair", "--organisation", ORG)
    assert "3 rows: 3 added, 0 already recorded" in first.stdout
    assert "B 日期 → occurred_on" in first.stderr and "第 6 行" in first.stderr  # the mapping and the total row
    stored = records(store)
    assert [(r["title"], r["occurred_on"], r.get("ends_on"), r["mode"], r["posts"]) for r in stored] == [
        ("线上招聘会", "2020-05-12", None, "online", {"value": 1200, "approx": "余"}),
        ("线下招聘会", "2020-06-01", "2020-06-03", "offline", {"value": 40, "approx": None}),
        ("高校毕业生专场", "2020-07-08", None, "offline", {"value": 300, "approx": "近"})]
    assert stored[0]["firms"] == [{"name": "武汉甲科技有限公司", "uscc": None}, {"name": "武汉乙实业有限公司", "uscc": CODE}]
    assert {r["organisation"] for r in stored} == {ORG}
    again = run("import", path, "--kind", "job_fair", "--organisation", ORG)
    assert "3 rows: 0 added, 3 already recorded" in again.stdout
    assert len(records(store)) == 3


def test_a_bad_cell_stops_the_import_naming_its_row_and_column_and_nothing_is_stored(store, tmp_path):
    rows = ROWS[:2] + [[3, "2020/13/1", "高校毕业生专场", "现场", "很多", None, None]]
    result = run("import", sheet(tmp_path, rows), "--kind", "job_fair", "--organisation", ORG, code=1)
    assert "未导入，3 处有误 / nothing imported, 3 problem(s)" in result.stderr
    assert "第 5 行 B 列“日期”：没有这一天：2020年13月1日" in result.stderr
    assert 'row 5, column D "形式": must be one of: online, offline' in result.stderr
    assert "第 5 行 E 列“提供岗位数（个）”" in result.stderr
    assert records(store) == []


def test_a_mapping_given_on_the_command_line_and_a_default_are_used_and_remembered(store, tmp_path):
    path = tmp_path / "活动.csv"
    path.write_text("时间,内容,岗位\n2020-05-12,春季招聘,12\n", encoding="gb18030")
    refused = run("import", str(path), "--kind", "job_fair", "--organisation", ORG, code=1)
    assert "“形式”是必填项" in refused.stderr
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"内容": "title", "岗位": "posts", "别的表的列": "notes"}), encoding="utf-8")
    done = run("import", str(path), "--kind", "job_fair", "--organisation", ORG, "--mapping", str(mapping),
               "--map", "时间=occurred_on", "--set", "mode=线上")
    assert "1 rows: 1 added" in done.stdout
    assert [(r["title"], r["posts"]["value"], r["mode"]) for r in records(store)] == [("春季招聘", 12, "online")]
    remembered = bootstrap(Settings.from_env(store)).sheets.mapping(ORG, "job_fair")
    assert remembered["岗位"] == "posts" and remembered["内容"] == "title"
    path.write_text("时间,内容,岗位\n2020-05-12,春季招聘,12\n2020-06-12,夏季招聘,15\n", encoding="gb18030")
    second = run("import", str(path), "--kind", "job_fair", "--organisation", ORG, "--set", "mode=online")
    assert "2 rows: 1 added, 1 already recorded" in second.stdout  # the remembered mapping, the first row known


def test_a_dry_run_checks_and_stores_nothing(store, tmp_path):
    result = run("import", sheet(tmp_path), "--kind", "job_fair", "--organisation", ORG, "--dry-run")
    assert "3 rows OK (dry run): 3 new, 0 already recorded" in result.stdout
    assert records(store) == []


def test_a_sheet_needs_a_kind_and_sheet_options_need_a_sheet(store, tmp_path):
    assert "--kind" in run("import", sheet(tmp_path), code=2).stderr
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("", encoding="utf-8")
    assert ".xlsx" in run("import", str(jsonl), "--kind", "job_fair", code=2).stderr
    assert "unknown kind" in run("import", sheet(tmp_path), "--kind", "nope", code=1).stderr
    assert "没有名为“二月”的工作表" in run("import", sheet(tmp_path), "--kind", "job_fair", "--sheet", "二月",
                                         code=1).stderr


def test_two_identical_rows_are_two_records_and_a_sheet_grown_at_the_bottom_adds_only_the_new_rows(store, tmp_path):
    twice = [ROWS[2], ROWS[2]]
    assert "2 rows: 2 added" in run("import", sheet(tmp_path, twice), "--kind", "job_fair", "--organisation", ORG).stdout
    grown = twice + [ROWS[1]]
    result = run("import", sheet(tmp_path, grown), "--kind", "job_fair", "--organisation", ORG)
    assert "3 rows: 1 added, 2 already recorded" in result.stdout
    assert sorted(r["title"] for r in records(store)) == ["线下招聘会", "高校毕业生专场", "高校毕业生专场"]
