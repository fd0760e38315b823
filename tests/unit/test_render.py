"""Rendering a summary dict as Markdown, Word, Excel and CSV (projections.render)."""
from __future__ import annotations

import copy
import csv
import io

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import load_workbook

from projections import render
from projections.provenance import event_digest

SUMMARY = {
    "year": 2020,
    "organisation": "东西湖区工商联",
    "as_of": "2026-11-27T21:30:00+00:00",
    "position": 1234,
    "title": "东西湖区工商联 2020 年工作总结",
    "sections": [
        {
            "key": "work",
            "title": "一、主要工作",
            "text": "",
            "figures": [],
            "subsections": [
                {
                    "key": "political",
                    "title": "（一）把握政治方向，引导民营经济人士健康成长",
                    "text": "深入开展系列教育培训活动 7 场次，组织 55 余名民营企业负责人赴苏州培训。",
                    "figures": [
                        {"key": "political.trainings", "label": "教育培训场次", "value": "7", "unit": "场次",
                         "approx": None, "text": "7 场次", "event_count": 3, "event_digest": event_digest([12, 40, 41])},
                        {"key": "political.training_participants", "label": "参训民营企业负责人", "value": "55",
                         "unit": "名", "approx": "余", "text": "55 余名", "event_count": 1, "event_digest": event_digest([41])},
                    ],
                },
                {
                    "key": "business",
                    "title": "（二）优化营商环境，助力民企健康发展",
                    "text": "一是搭建政企沟通平台。印发政策汇编 1000 余册。\n\n二是搭建金融服务平台。签订授信协议金额 10 亿元。",
                    "figures": [
                        {"key": "business.booklet_copies", "label": "印发政策汇编", "value": "1000", "unit": "册",
                         "approx": "余", "text": "1000 余册", "event_count": 1, "event_digest": event_digest([7])},
                        {"key": "business.credit_signed", "label": "签订授信协议金额", "value": "1000000000.50",
                         "unit": "元", "approx": None, "text": "10 亿元", "event_count": 5, "event_digest": event_digest([90, 91, 92, 93, 94])},
                    ],
                },
            ],
        },
        {
            "key": "problems",
            "title": "二、存在问题",
            "text": "一是服务企业的方式还不够多。\n二是商会建设不平衡。",
            "figures": [
                {"key": "problems.chambers", "label": "商会数量", "value": "23", "unit": "家", "approx": None,
                 "text": "23 家", "event_count": 0, "event_digest": event_digest([])},
            ],
            "subsections": [],
        },
        {
            "key": "plans",
            "title": "三、2021 年工作思路",
            "text": "组织开展银企对接会2场，推进银企合作。",
            "figures": [],
            "subsections": [],
            "targets": [
                {"target_kind": "matchmaking", "label": "银企对接会", "quantity": 2, "unit": "场", "actual": 0,
                 "text": "组织开展银企对接会2场"},
            ],
        },
    ],
    "targets": [
        {"target_kind": "talk", "label": "知识讲座", "quantity": 5, "unit": "场", "actual": 6, "text": "举办知识讲座5场"},
        {"target_kind": "deal", "label": "授信协议", "quantity": 8, "unit": "亿元", "actual": 10,
         "text": "授信8亿元"},
    ],
    "seal": None,
}

FIGURE_KEYS = [
    "political.trainings", "political.training_participants", "business.booklet_copies",
    "business.credit_signed", "problems.chambers",
]
EXPECTED_VALUES = {
    "political.trainings": 7, "political.training_participants": 55, "business.booklet_copies": 1000,
    "business.credit_signed": 1000000000.5, "problems.chambers": 23,
}
EXPECTED_COUNTS = {
    "political.trainings": 3, "political.training_participants": 1, "business.booklet_copies": 1,
    "business.credit_signed": 5, "problems.chambers": 0,
}


def _titles(summary):
    out = [summary["title"]]
    for section in summary["sections"]:
        out.append(section["title"])
        out.extend(sub["title"] for sub in section.get("subsections", []))
    return out


def _east_asia(run):
    rpr = run._element.rPr
    return rpr.rFonts.get(qn("w:eastAsia")) if rpr is not None and rpr.rFonts is not None else None


# ---------------------------------------------------------------- all_figures


def test_all_figures_flattens_sections_and_subsections_in_order():
    assert [f["key"] for f in render.all_figures(SUMMARY)] == FIGURE_KEYS


def test_all_figures_tolerates_missing_optional_keys():
    bare = {"year": 2020, "sections": [{"key": "x", "title": "一、X"}, {"key": "y", "subsections": [
        {"key": "z", "figures": [{"key": "z.one", "value": "1"}]}]}]}
    assert [f["key"] for f in render.all_figures(bare)] == ["z.one"]
    assert render.all_figures({}) == []
    # every renderer copes with the bare dict
    for fn in render.RENDERERS.values():
        assert fn(bare)


def test_renderers_do_not_modify_the_summary():
    before = copy.deepcopy(SUMMARY)
    for fn in render.RENDERERS.values():
        fn(SUMMARY)
    assert SUMMARY == before


# ---------------------------------------------------------------- markdown


def test_markdown_has_every_title_and_figure_text():
    md = render.to_markdown(SUMMARY)
    lines = md.splitlines()
    assert lines[0] == "# 东西湖区工商联 2020 年工作总结"
    assert "截至 2026-11-27T21:30:00+00:00（位置 1234）" in lines[1:4]
    for section in SUMMARY["sections"]:
        assert f"## {section['title']}" in lines
        for sub in section["subsections"]:
            assert f"### {sub['title']}" in lines
    for figure in render.all_figures(SUMMARY):
        assert figure["text"] in md
    # text is split into paragraphs; blank lines in the source do not make empty paragraphs
    assert "一是服务企业的方式还不够多。" in lines and "二是商会建设不平衡。" in lines
    # the plans' target is already in the text: it is not repeated as a bullet
    assert md.count("组织开展银企对接会2场") == 1


def test_markdown_figures_and_targets_tables():
    lines = render.to_markdown(SUMMARY).splitlines()
    assert "| 指标 | 数值 | 来源事件数 |" in lines
    assert "| 签订授信协议金额 | 10 亿元 | 5 |" in lines
    assert "| 教育培训场次 | 7 场次 | 3 |" in lines
    assert "| 商会数量 | 23 家 | 0 |" in lines
    assert "| 目标 | 目标数 | 完成数 |" in lines
    assert "| 知识讲座 | 5 场 | 6 场 |" in lines
    assert "| 授信协议 | 8 亿元 | 10 亿元 |" in lines


def test_markdown_without_as_of_or_targets():
    summary = dict(SUMMARY, as_of=None, targets=[])
    md = render.to_markdown(summary)
    assert "截至" not in md
    assert "| 目标 | 目标数 | 完成数 |" not in md


def test_markdown_escapes_pipes_in_cells():
    summary = copy.deepcopy(SUMMARY)
    summary["sections"][1]["figures"][0]["label"] = "商会|协会"
    assert "| 商会\\|协会 | 23 家 | 0 |" in render.to_markdown(summary).splitlines()


# ---------------------------------------------------------------- docx


@pytest.fixture(scope="module")
def docx_doc():
    data = render.to_docx(SUMMARY)
    assert data[:2] == b"PK"
    return Document(io.BytesIO(data))


def test_docx_page_setup(docx_doc):
    section = docx_doc.sections[0]
    assert abs(section.page_width - Cm(21.0)) < Cm(0.01)
    assert abs(section.page_height - Cm(29.7)) < Cm(0.01)
    for actual, expected in ((section.top_margin, 3.7), (section.bottom_margin, 3.5),
                             (section.left_margin, 2.8), (section.right_margin, 2.6)):
        assert abs(actual - Cm(expected)) < Cm(0.01), (actual, expected)


def test_docx_has_the_gbt9704_text_grid_of_22_lines_by_28_characters(docx_doc):
    from docx.oxml.ns import qn

    grid = docx_doc.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    # 225 mm of text block / 22 lines = 579 twips; (156 mm / 28 − 16 pt) × 4096 ≈ −849
    assert grid.get(qn("w:linePitch")) == "579" and grid.get(qn("w:charSpace")) == "-849"
    footer = docx_doc.sections[0].footer._element.xml
    assert "PAGE" in footer and "— " in footer and " —" in footer


def test_docx_title(docx_doc):
    title = docx_doc.paragraphs[0]
    assert title.text == SUMMARY["title"]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert _east_asia(title.runs[0]) == "方正小标宋简体"
    assert title.runs[0].font.size == Pt(22)


def test_docx_headings_and_body(docx_doc):
    by_text = {p.text: p for p in docx_doc.paragraphs}
    for section in SUMMARY["sections"]:
        heading = by_text[section["title"]]
        assert _east_asia(heading.runs[0]) == "黑体"
        assert heading.runs[0].font.size == Pt(16)
        for sub in section["subsections"]:
            assert _east_asia(by_text[sub["title"]].runs[0]) == "楷体_GB2312"
    body_texts = [
        "深入开展系列教育培训活动 7 场次，组织 55 余名民营企业负责人赴苏州培训。",
        "一是搭建政企沟通平台。印发政策汇编 1000 余册。",
        "二是搭建金融服务平台。签订授信协议金额 10 亿元。",
        "一是服务企业的方式还不够多。",
    ]
    for text in body_texts:
        para = by_text[text]
        assert para.runs, text
        for run in para.runs:
            assert _east_asia(run) == "仿宋_GB2312"
            assert run.font.size == Pt(16)
        fmt = para.paragraph_format
        assert fmt.first_line_indent == Pt(32)
        assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY
        assert fmt.line_spacing == Pt(28.95)  # the grid pitch: 22 lines in 225 mm
    assert "" not in [p.text for p in docx_doc.paragraphs[1:] if p.runs]


def test_docx_figures_table(docx_doc):
    texts = [p.text for p in docx_doc.paragraphs]
    assert "附：数据来源" in texts
    tables = docx_doc.tables
    assert tables, "no table"
    figures = render.all_figures(SUMMARY)
    table = tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["指标", "数值", "来源事件数"]
    assert len(rows) == len(figures) + 1
    assert rows[1:] == [[f["label"], f["text"], str(f["event_count"])] for f in figures]
    # the targets table follows
    assert [[c.text for c in row.cells] for row in tables[1].rows][1] == ["知识讲座", "5 场", "6 场"]


def test_docx_as_of_line(docx_doc):
    assert docx_doc.paragraphs[1].text == "截至 2026-11-27T21:30:00+00:00（位置 1234）"
    plain = Document(io.BytesIO(render.to_docx(dict(SUMMARY, as_of=None))))
    assert not any(p.text.startswith("截至") for p in plain.paragraphs)


# ---------------------------------------------------------------- xlsx


@pytest.fixture(scope="module")
def workbook():
    return load_workbook(io.BytesIO(render.to_xlsx(SUMMARY)))


def test_xlsx_figures_sheet(workbook):
    ws = workbook["指标"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == ["key", "指标", "数值", "单位", "约数", "文字", "来源事件数", "来源事件摘要"]
    assert all(cell.font.bold for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width > 10
    body = rows[1:]
    assert [r[0] for r in body] == FIGURE_KEYS
    for key, label, value, unit, approx, text, count, ids in body:
        assert value == EXPECTED_VALUES[key] and type(value) is type(EXPECTED_VALUES[key]), (key, value)
        assert count == EXPECTED_COUNTS[key]
    by_key = {r[0]: r for r in body}
    assert by_key["political.trainings"][7] == event_digest([12, 40, 41])
    assert by_key["business.booklet_copies"][4] == "余"
    assert by_key["business.credit_signed"][3] == "元"


def test_xlsx_targets_sheet(workbook):
    rows = list(workbook["目标"].iter_rows(values_only=True))
    assert rows[0][:6] == ("范围", "类别", "目标", "目标数", "单位", "完成数")
    assert rows[1][:6] == ("2020 年目标", "talk", "知识讲座", 5, "场", 6)
    assert rows[3][:6] == ("三、2021 年工作思路", "matchmaking", "银企对接会", 2, "场", 0)
    assert len(rows) == 4


def test_xlsx_without_targets_has_no_target_sheet():
    summary = copy.deepcopy(SUMMARY)
    summary["targets"] = []
    del summary["sections"][2]["targets"]
    wb = load_workbook(io.BytesIO(render.to_xlsx(summary)))
    assert wb.sheetnames == ["指标"]


# ---------------------------------------------------------------- csv


def test_csv_rows_match_figures():
    text = render.to_csv(SUMMARY)
    assert not text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == ["key", "label", "value", "unit", "approx", "text", "event_count", "event_digest"]
    rows = list(reader)
    figures = render.all_figures(SUMMARY)
    assert len(rows) == len(figures)
    for row, figure in zip(rows, figures):
        assert row["key"] == figure["key"]
        assert row["label"] == figure["label"]
        assert row["value"] == figure["value"]  # exact, as written in the summary
        assert row["text"] == figure["text"]
        assert row["approx"] == (figure["approx"] or "")
        assert int(row["event_count"]) == EXPECTED_COUNTS[figure["key"]]
        assert row["event_digest"] == figure["event_digest"]


# ---------------------------------------------------------------- registry


def test_registry_is_complete():
    assert set(render.RENDERERS) == set(render.MEDIA_TYPES) == set(render.EXTENSIONS) == {"md", "docx", "pdf", "xlsx", "csv"}
    assert isinstance(render.RENDERERS["md"](SUMMARY), str)
    assert isinstance(render.RENDERERS["csv"](SUMMARY), str)
    assert isinstance(render.RENDERERS["docx"](SUMMARY), bytes)
    assert isinstance(render.RENDERERS["xlsx"](SUMMARY), bytes)
    assert render.RENDERERS["pdf"](SUMMARY).startswith(b"%PDF-")
    assert render.filename(SUMMARY, "docx") == "东西湖区工商联-2020-工作总结.docx"
