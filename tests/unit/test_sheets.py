"""The sheet import's reading, mapping and converting (service/sheets.py), without a ledger: column
titles suggest fields, cells of every form Excel offices write become payloads, and every bad cell
is named by its Excel row, its column letter and title, and why."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.uscc import make_uscc
from service.sheets import (
    CellProblem,
    SheetError,
    convert,
    parse_date,
    parse_firms,
    parse_measure,
    read_sheet,
    sheet_kind,
    sheet_kinds,
    suggest_mapping,
)
from tests.helpers import ORG, xlsx_bytes

CODE = make_uscc(1)
JOB_FAIR = sheet_kind("job_fair")
HEADER = ["序号", "日期", "活动名称", "形式", "提供岗位数（个）", "参与企业", "备注"]


def job_fair_sheet(*rows, title_row="2020年招聘会工作台账"):
    return read_sheet(xlsx_bytes([HEADER, *rows], title_row=title_row), "台账.xlsx")


# --- kinds ------------------------------------------------------------------------------------------

def test_every_kind_offers_its_fields_and_the_firms_with_their_codes():
    kinds = sheet_kinds()
    assert len(kinds) >= 29
    for kind in kinds.values():
        names = kind.names
        assert {"organisation", "occurred_on", "title", "firms", "firms_uscc"} <= set(names), kind.key
    assert JOB_FAIR.field("mode").choices["online"] == ("线上", "online")
    assert JOB_FAIR.field("mode").required and JOB_FAIR.field("posts").type == "count"


# --- reading ----------------------------------------------------------------------------------------

def test_the_header_is_found_under_a_merged_title_row_and_rows_keep_their_excel_numbers():
    sheet = job_fair_sheet([1, datetime(2020, 5, 12), "线上招聘会", "线上", 1200, "武汉甲科技有限公司", None],
                           [None] * 7,
                           [2, "2020/6/1", "线下招聘会", "线下", 40, "武汉乙实业有限公司", "现场"],
                           ["合计", None, None, None, 1240, None, None])
    assert sheet.header_row == 2
    assert [c.title for c in sheet.columns] == HEADER
    assert [c.letter for c in sheet.columns] == list("ABCDEFG")
    assert [r.number for r in sheet.rows] == [3, 5]  # the empty row 4 is left out, and the total row 6
    assert sheet.skipped == [(6, "合计行，未导入 / a total row, not imported")]


def test_a_sheet_is_chosen_by_name_and_an_unknown_one_is_refused_naming_those_there_are():
    data = xlsx_bytes([["日期", "名称"], ["2020-05-12", "甲"]], sheet="一月",
                      more_sheets={"二月": [["日期", "名称"], ["2020-02-01", "乙"], ["2020-02-02", "丙"]]})
    assert len(read_sheet(data, "a.xlsx", "二月").rows) == 2
    assert read_sheet(data, "a.xlsx").name == "一月"
    with pytest.raises(SheetError, match="三月.*一月、二月"):
        read_sheet(data, "a.xlsx", "三月")


def test_csv_is_read_in_utf8_and_in_the_gb18030_chinese_excel_writes():
    text = "日期,活动名称\n2020-05-12,线上招聘会\n"
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        sheet = read_sheet(text.encode(encoding), "台账.csv")
        assert [c.title for c in sheet.columns] == ["日期", "活动名称"]
        assert sheet.rows[0].cells == ("2020-05-12", "线上招聘会") and sheet.rows[0].number == 2


def test_files_that_are_no_sheet_are_refused_with_a_reason():
    with pytest.raises(SheetError, match=r"\.xlsx"):
        read_sheet(b"x", "notes.txt")
    with pytest.raises(SheetError, match="另存为 .xlsx"):
        read_sheet(b"x", "old.xls")
    with pytest.raises(SheetError, match="无法读取"):
        read_sheet(b"not a zip", "broken.xlsx")
    with pytest.raises(SheetError, match="空"):
        read_sheet(b"", "empty.csv")


def test_duplicate_and_empty_titles_still_name_a_column_each():
    sheet = read_sheet("日期,备注,,备注\n2020-05-12,a,b,c\n".encode(), "a.csv")
    assert [c.title for c in sheet.columns] == ["日期", "备注", "C 列", "备注 (2)"]


# --- suggesting a mapping ---------------------------------------------------------------------------

def test_titles_suggest_fields_by_label_by_synonym_and_by_a_label_inside_the_title():
    titles = ["序号", "时间", "名称", "单位", "参与企业", "统一社会信用代码", "形式", "提供岗位数（个）",
              "达成就业意向人数（名）", "备注", "联合单位"]
    assert suggest_mapping(titles, JOB_FAIR) == {
        "时间": "occurred_on", "名称": "title", "单位": "organisation", "参与企业": "firms",
        "统一社会信用代码": "firms_uscc", "形式": "mode", "提供岗位数（个）": "posts",
        "达成就业意向人数（名）": "seekers_matched", "备注": "notes", "联合单位": "partner"}


def test_the_synonyms_of_the_brief_map_where_the_kind_has_the_field():
    training = sheet_kind("training")
    assert suggest_mapping(["日期", "活动名称", "企业", "人数", "参加人数"], training) == {
        "日期": "occurred_on", "活动名称": "title", "企业": "firms", "参加人数": "participants"}
    assert suggest_mapping(["标题", "人数"], training) == {"标题": "title", "人数": "participants"}
    assert "人数" not in suggest_mapping(["人数"], JOB_FAIR)  # a job fair has no participants field


def test_english_names_map_too_and_each_field_is_taken_once():
    assert suggest_mapping(["occurred_on", "Title", "日期", "mode"], JOB_FAIR) == {
        "occurred_on": "occurred_on", "Title": "title", "mode": "mode"}


def test_a_remembered_mapping_comes_first_and_a_column_left_out_stays_out():
    remembered = {"活动名称": "notes", "名称": "", "不在表中": "title"}
    assert suggest_mapping(["活动名称", "名称", "日期"], JOB_FAIR, remembered) == {
        "活动名称": "notes", "日期": "occurred_on"}


# --- cells ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", [datetime(2020, 5, 12), date(2020, 5, 12), "2020年5月12日", "2020/5/12",
                                  "2020-05-12", "2020.5.12", "2020 年 5 月 12 日", "２０２０年５月１２日",
                                  "20200512", 43963, 43963.0, "2020-05-12 00:00:00", "2020年5月12号"])
def test_dates_come_in_every_form_offices_write(cell):
    assert parse_date(cell) == date(2020, 5, 12)


def test_a_date_range_gives_both_days():
    assert parse_date("2020年6月1日至3日") == (date(2020, 6, 1), date(2020, 6, 3))
    assert parse_date("2020/6/30-7/2") == (date(2020, 6, 30), date(2020, 7, 2))
    assert parse_date("2020.12.30~2021.1.2") == (date(2020, 12, 30), date(2021, 1, 2))


@pytest.mark.parametrize(("cell", "why"), [("2020/13/1", "没有这一天"), ("2020年2月30日", "没有这一天"),
                                           ("五月", "不是日期"), ("5月12日", "不是日期"),
                                           ("2020年6月3日至1日", "早于")])
def test_a_bad_date_says_why(cell, why):
    with pytest.raises(CellProblem, match=why):
        parse_date(cell)


POSTS = JOB_FAIR.field("posts")
AMOUNT = sheet_kind("deal").field("amount")


@pytest.mark.parametrize(("cell", "expected"), [
    (40, {"value": 40, "approx": None}), (40.0, {"value": 40, "approx": None}),
    ("40", {"value": 40, "approx": None}), ("40 多", {"value": 40, "approx": "多"}),
    ("1000余", {"value": 1000, "approx": "余"}), ("1000余个", {"value": 1000, "approx": "余"}),
    ("近300", {"value": 300, "approx": "近"}), ("1,200", {"value": 1200, "approx": None}),
    ("１２００余", {"value": 1200, "approx": "余"}), ("1.2万", {"value": 12000, "approx": None}),
])
def test_counts_take_numbers_and_the_approximation_markers(cell, expected):
    assert parse_measure(cell, POSTS) == expected


@pytest.mark.parametrize(("cell", "title", "expected"), [
    ("近30万元", None, {"value": "300000", "approx": "近"}), ("30余万元", None, {"value": "300000", "approx": "余"}),
    ("4.72亿", None, {"value": "472000000", "approx": None}), (2800, "授信金额（万元）", {"value": "28000000", "approx": None}),
    ("2800", "金额(万元)", {"value": "28000000", "approx": None}), ("30万元", "金额（万元）", {"value": "300000", "approx": None}),
    (5000.5, "金额（元）", {"value": "5000.5", "approx": None}),
])
def test_amounts_read_wan_and_yi_in_the_cell_or_in_the_column_title(cell, title, expected):
    assert parse_measure(cell, AMOUNT, title) == expected


@pytest.mark.parametrize("cell", ["很多", "40人左右多", "约40", "40.5", True])
def test_a_bad_number_is_refused(cell):
    with pytest.raises(CellProblem):
        parse_measure(cell, POSTS)


def test_a_firm_cell_holds_several_firms_by_any_separator_with_or_without_codes():
    cell = f"武汉甲科技有限公司、武汉乙实业有限公司 {CODE}；武汉丙有限公司,武汉丁有限公司\n{make_uscc(2)}"
    assert parse_firms(cell) == [
        {"name": "武汉甲科技有限公司", "uscc": None}, {"name": "武汉乙实业有限公司", "uscc": CODE},
        {"name": "武汉丙有限公司", "uscc": None}, {"name": "武汉丁有限公司", "uscc": make_uscc(2)}]
    assert parse_firms(f"{CODE}，{make_uscc(2)}") == [{"name": None, "uscc": CODE}, {"name": None, "uscc": make_uscc(2)}]


# --- converting rows --------------------------------------------------------------------------------

def test_rows_become_the_payloads_taizhang_import_takes():
    sheet = job_fair_sheet([1, datetime(2020, 5, 12), "线上招聘会", "线上", "1200余", f"武汉甲科技有限公司、武汉乙实业有限公司 {CODE}", None],
                           [2, "2020年6月1日至3日", "线下招聘会", "offline", 40, None, "现场"])
    conversion = convert(sheet, JOB_FAIR, suggest_mapping(sheet.columns, JOB_FAIR), organisation=ORG)
    assert conversion.ok, [str(e) for e in conversion.errors]
    assert conversion.payloads == [
        {"kind": "job_fair", "organisation": ORG, "occurred_on": "2020-05-12", "title": "线上招聘会", "mode": "online",
         "posts": {"value": 1200, "approx": "余"},
         "firms": [{"name": "武汉甲科技有限公司", "uscc": None}, {"name": "武汉乙实业有限公司", "uscc": CODE}]},
        {"kind": "job_fair", "organisation": ORG, "occurred_on": "2020-06-01", "ends_on": "2020-06-03",
         "title": "线下招聘会", "mode": "offline", "posts": {"value": 40, "approx": None}, "notes": "现场"}]
    assert [r.values["posts"] for r in conversion.rows] == [{"value": 1200, "approx": "余"}, {"value": 40, "approx": None}]


def test_every_bad_cell_is_named_by_row_column_title_and_why():
    sheet = job_fair_sheet([1, "2020/13/1", "线上招聘会", "现场", "很多", "武汉甲科技有限公司", None],
                           [2, "2020-05-12", None, "线上", 10, f"武汉乙实业有限公司 {CODE[:-1]}0", None],
                           [3, "2020-05-13", "好的一行", "线下", 5, None, None])
    conversion = convert(sheet, JOB_FAIR, suggest_mapping(sheet.columns, JOB_FAIR), organisation=ORG)
    found = {(e.row, e.letter, e.title): e.message for e in conversion.errors}
    assert set(found) == {(3, "B", "日期"), (3, "D", "形式"), (3, "E", "提供岗位数（个）"), (4, "C", "活动名称"),
                          (4, "F", "参与企业")}
    assert found[(3, "B", "日期")].startswith("没有这一天：2020年13月1日 / no such day")
    assert found[(3, "D", "形式")] == "应为以下之一：线上、线下 / must be one of: online, offline"
    assert found[(4, "C", "活动名称")] == "必填 / required"
    assert "第 1 家企业" in found[(4, "F", "参与企业")] and "校验位" in found[(4, "F", "参与企业")]
    error = next(e for e in conversion.errors if e.letter == "B")
    assert str(error).startswith("第 3 行 B 列“日期”：没有这一天") and 'row 3, column B "日期": no such day' in str(error)
    assert error.zh.startswith("没有这一天") and error.en.startswith("no such day")
    assert [r.values is not None for r in conversion.rows] == [False, False, True]


def test_a_required_field_without_a_column_or_a_default_is_named_once_not_per_row():
    sheet = read_sheet("日期,活动名称\n2020-05-12,甲\n2020-05-13,乙\n".encode(), "a.csv")
    conversion = convert(sheet, JOB_FAIR, suggest_mapping(sheet.columns, JOB_FAIR), organisation=ORG)
    assert [(e.row, e.field) for e in conversion.errors] == [(None, "mode")]
    assert "形式" in conversion.errors[0].message
    fixed = convert(sheet, JOB_FAIR, suggest_mapping(sheet.columns, JOB_FAIR), {"mode": "线上"}, organisation=ORG)
    assert fixed.ok and [p["mode"] for p in fixed.payloads] == ["online", "online"]
    wrong = convert(sheet, JOB_FAIR, suggest_mapping(sheet.columns, JOB_FAIR), {"mode": "空中"}, organisation=ORG)
    assert [(e.row, e.title) for e in wrong.errors] == [(None, "形式（默认值）")]


def test_a_column_of_codes_pairs_with_the_column_of_names():
    listed = sheet_kind("enterprise_listed")
    sheet = read_sheet(f"日期,标题,企业名称,统一社会信用代码,板块\n2020-05-12,上市,武汉甲科技有限公司,{CODE},创业板\n"
                       f"2020-05-13,上市,\"武汉乙实业有限公司、武汉丙有限公司\",{make_uscc(2)},主板\n".encode(), "a.csv")
    conversion = convert(sheet, listed, suggest_mapping(sheet.columns, listed), organisation=ORG)
    assert conversion.rows[0].payload["firms"] == [{"name": "武汉甲科技有限公司", "uscc": CODE}]
    assert [(e.row, e.letter) for e in conversion.errors] == [(3, "D")]
    assert "2 家企业却有 1 个信用代码" in conversion.errors[0].message


def test_a_mapping_naming_a_missing_column_or_a_field_twice_is_refused():
    sheet = read_sheet("日期,活动名称,备注\n2020-05-12,甲,乙\n".encode(), "a.csv")
    conversion = convert(sheet, JOB_FAIR, {"日期": "occurred_on", "活动名称": "title", "备注": "title", "无此列": "notes",
                                          }, {"mode": "online"}, organisation=ORG)
    assert {(e.title, e.field) for e in conversion.problems} == {("备注", "title"), ("无此列", "notes")}


def test_a_float_from_an_excel_formula_reads_as_excel_shows_it():
    assert parse_measure(1234.5600000000002, AMOUNT) == {"value": "1234.56", "approx": None}
    assert parse_measure(0.1 + 0.2, AMOUNT, "金额（万元）") == {"value": "3000", "approx": None}


def test_formatted_empty_rows_below_the_table_and_columns_far_right_are_not_read():
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(["日期", "活动名称"])
    ws.append(["2020-05-12", "线上招聘会"])
    ws.cell(row=9000, column=1).number_format = "yyyy-mm-dd"  # formatting, no value
    ws.cell(row=3, column=600, value="far right")
    out = BytesIO()
    book.save(out)
    sheet = read_sheet(out.getvalue(), "a.xlsx")
    assert [r.number for r in sheet.rows] == [2] and len(sheet.columns) == 2
