"""Render a year-end summary (the summary JSON dict) as Markdown, Word, Excel and CSV.

(One file for the five formats: they share the document's structure walk and the Chinese number
and date wording; the Office formats are most of it.)

Pure functions: each takes the summary dict and returns the document (``str`` for text formats,
``bytes`` for the Office formats). Nothing here computes a number; the figures come in the dict.

The summary dict::

    {"year": 2020, "organisation": "某区工商联", "as_of": "…" or None, "position": 1234,
     "title": "某区工商联 2020 年工作总结",
     "sections": [{"key", "title", "text", "figures": [...], "subsections": [...], "targets"?: [...]}],
     "targets": [...],   # targets set for this year, with actuals
     "seal": None or {...}}

A figure is ``{"key", "label", "value", "unit", "approx", "text", "event_count", "event_digest"}`` where ``value`` is a
string (an integer, or a Decimal in yuan for money). A target is ``{"target_kind", "label",
"quantity", "unit", "actual", "text"}``. Optional keys may be missing.

The Word document follows the layout of a Chinese official document (公文, GB/T 9704): A4, margins
3.7/3.5/2.8/2.6 cm, title in 方正小标宋简体 22pt centred, body in 仿宋_GB2312 三号 (16pt) with a
first-line indent of two characters and a fixed line spacing of 28pt, level-1 headings (一、) in
黑体, level-2 headings (（一）) in 楷体_GB2312.
"""
from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterator

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from projections.cells import csv_cell, md_text, xlsx_text_cells, xml_text
from projections.provenance import figure_events

__all__ = [
    "all_figures",
    "all_targets",
    "to_markdown",
    "to_docx",
    "to_xlsx",
    "to_csv",
    "RENDERERS",
    "MEDIA_TYPES",
    "EXTENSIONS",
    "filename",
    "FONT_TITLE",
    "FONT_BODY",
    "FONT_H1",
    "FONT_H2",
]

# ---------------------------------------------------------------------------------------------
# Reading the summary dict

FIGURE_COLUMNS = ("key", "label", "value", "unit", "approx", "text", "event_count", "event_digest")
FIGURE_HEADERS_ZH = ("key", "指标", "数值", "单位", "约数", "文字", "来源事件数", "来源事件摘要")


def _title(summary: dict) -> str:
    title = summary.get("title")
    if title:
        return str(title)
    org = summary.get("organisation") or ""
    year = summary.get("year")
    return f"{org} {year} 年工作总结".strip() if year is not None else f"{org} 工作总结".strip()


def _sections(summary: dict) -> list[dict]:
    return [s for s in (summary.get("sections") or []) if isinstance(s, dict)]


def _subsections(section: dict) -> list[dict]:
    return [s for s in (section.get("subsections") or []) if isinstance(s, dict)]


def _walk(sections: list[dict], depth: int = 1) -> Iterator[tuple[int, dict]]:
    """Each section and (depth-first, in order) its subsections, with its depth (1 = section)."""
    for section in sections:
        yield depth, section
        yield from _walk(_subsections(section), depth + 1)


def _paragraphs(text: Any) -> list[str]:
    """The non-blank lines of a section's text, stripped."""
    if not text:
        return []
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def _events(figure: dict) -> tuple[int, str]:
    """(count, digest) of the events behind a figure (they are listed on demand: the figure's events page)."""
    return figure_events(figure)


def _event_count(figure: dict) -> int:
    return _events(figure)[0]


def all_figures(summary: dict) -> list[dict]:
    """Every figure of the summary, in document order: a section's own figures, then its subsections'."""
    figures: list[dict] = []
    for _depth, section in _walk(_sections(summary)):
        figures.extend(f for f in (section.get("figures") or []) if isinstance(f, dict))
    return figures


def all_targets(summary: dict) -> list[tuple[str, dict]]:
    """Every target with the scope it belongs to: the year's own targets first, then sections' targets.

    The scope is "{year} 年目标" for the top-level targets and the section's title for a section's.
    """
    year = summary.get("year")
    own_scope = f"{year} 年目标" if year is not None else "目标"
    out: list[tuple[str, dict]] = [
        (own_scope, t) for t in (summary.get("targets") or []) if isinstance(t, dict)
    ]
    for _depth, section in _walk(_sections(summary)):
        scope = str(section.get("title") or section.get("key") or "")
        out.extend((scope, t) for t in (section.get("targets") or []) if isinstance(t, dict))
    return out


_INT_RE = re.compile(r"^[+-]?\d+$")


def _number(value: Any) -> int | float | str | None:
    """A figure's value as a number for a spreadsheet: int for integers, float for decimals (money).

    A value that is not a number is returned as its string; a missing one as None.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    text = str(value).strip().replace(",", "")
    if not text:
        return None
    if _INT_RE.match(text):
        return int(text)
    try:
        return float(Decimal(text))
    except InvalidOperation:
        return str(value)


def _target_amount(amount: Any, unit: Any) -> str:
    if amount is None or amount == "":
        return "—"
    return f"{amount} {unit}".strip() if unit else str(amount)


def _figure_row(figure: dict) -> dict:
    count, digest = _events(figure)
    return {
        "key": figure.get("key") or "",
        "label": figure.get("label") or "",
        "value": figure.get("value"),
        "unit": figure.get("unit") or "",
        "approx": figure.get("approx") if figure.get("approx") is not None else "",
        "text": figure.get("text") or "",
        "event_count": count,
        "event_digest": digest,
    }


def _as_of_line(summary: dict) -> str | None:
    as_of = summary.get("as_of")
    if not as_of:
        return None
    position = summary.get("position")
    return f"截至 {as_of}（位置 {position}）" if position is not None else f"截至 {as_of}"


# ---------------------------------------------------------------------------------------------
# Markdown


def _md_cell(value: Any) -> str:
    text = md_text(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _md_table(headers: tuple[str, ...], rows: list[tuple]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return lines


def to_markdown(summary: dict) -> str:
    lines: list[str] = [f"# {md_text(_title(summary))}", ""]
    as_of = _as_of_line(summary)
    if as_of:
        lines += [md_text(as_of), ""]
    for depth, section in _walk(_sections(summary)):
        heading = "#" * min(depth + 1, 6)
        lines += [f"{heading} {md_text(section.get('title') or section.get('key') or '')}".rstrip(), ""]
        text = section.get("text") or ""
        for para in _paragraphs(text):
            lines += [md_text(para), ""]
        # a section's targets (e.g. next year's plans) that its text does not already spell out
        extra = [
            t.get("text") or t.get("label")
            for t in (section.get("targets") or [])
            if isinstance(t, dict) and (t.get("text") or t.get("label"))
            and (t.get("text") or t.get("label")) not in text
        ]
        if extra:
            lines += [f"- {md_text(item)}" for item in extra] + [""]

    figures = all_figures(summary)
    if figures:
        lines += ["## 附：数据来源", ""]
        rows = [(f.get("label") or f.get("key") or "", f.get("text") or "", _event_count(f)) for f in figures]
        lines += _md_table(("指标", "数值", "来源事件数"), rows) + [""]

    targets = [t for t in (summary.get("targets") or []) if isinstance(t, dict)]
    if targets:
        lines += ["## 附：目标完成情况", ""]
        rows = [
            (
                t.get("label") or t.get("text") or t.get("target_kind") or "",
                _target_amount(t.get("quantity"), t.get("unit")),
                _target_amount(t.get("actual"), t.get("unit")),
            )
            for t in targets
        ]
        lines += _md_table(("目标", "目标数", "完成数"), rows) + [""]

    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# Word (公文 layout)

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_H1 = "黑体"
FONT_H2 = "楷体_GB2312"
FONT_PAGE_NUMBER = "宋体"

SIZE_TITLE = Pt(22)  # 二号
SIZE_BODY = Pt(16)  # 三号
SIZE_TABLE = Pt(14)  # 四号
LINE_SPACING = Pt(28.95)  # the grid's line pitch: 225 mm of text block / 22 lines (579 twips)
LINE_PITCH_TWIPS = 579
CHAR_SPACE = -849  # the grid's character pitch (156 mm / 28 = 15.79 pt) less 16 pt, in 4096ths of a point
FIRST_LINE_INDENT = Pt(32)  # two characters of 16pt


def set_run_font(run, name: str, size=None, bold: bool | None = None) -> None:
    """Set a run's font for Latin and East Asian text alike.

    ``run.font.name`` sets only w:ascii and w:hAnsi; Word chooses the font of Chinese characters
    from w:eastAsia, so it is set here too (and the theme-font attributes, which would override the
    names, are removed).
    """
    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.rFonts
    if rfonts is None:  # pragma: no cover - run.font.name always creates it
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), name)
    rfonts.set(qn("w:cs"), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    if size is not None:
        run.font.size = size
    if bold is not None:
        run.font.bold = bold


def _fixed_spacing(paragraph, line=LINE_SPACING) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


def _indent_two_chars(paragraph) -> None:
    """First-line indent of two characters: 32pt, and w:firstLineChars for Word to keep it in chars."""
    paragraph.paragraph_format.first_line_indent = FIRST_LINE_INDENT
    ind = paragraph._p.get_or_add_pPr().find(qn("w:ind"))
    if ind is not None:
        ind.set(qn("w:firstLineChars"), "200")


def _outline_level(paragraph, level: int) -> None:
    """Mark a heading paragraph with an outline level (Word's navigation pane) without a Heading style."""
    ppr = paragraph._p.get_or_add_pPr()
    lvl = OxmlElement("w:outlineLvl")
    lvl.set(qn("w:val"), str(level))
    ppr.append(lvl)


def _add_text(doc, text: str, font: str, size, *, indent: bool = True, bold: bool = False,
              align=None, outline: int | None = None):
    paragraph = doc.add_paragraph()
    _fixed_spacing(paragraph)
    if indent:
        _indent_two_chars(paragraph)
    if align is not None:
        paragraph.alignment = align
    run = paragraph.add_run(xml_text(text))
    set_run_font(run, font, size, bold)
    if outline is not None:
        _outline_level(paragraph, outline)
    return paragraph


def _page_setup(doc) -> None:
    for section in doc.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width = Cm(21.0)
        section.page_height = Cm(29.7)
        section.top_margin = Cm(3.7)
        section.bottom_margin = Cm(3.5)
        section.left_margin = Cm(2.8)
        section.right_margin = Cm(2.6)
        _doc_grid(section)


def _doc_grid(section) -> None:
    """The GB/T 9704 text grid: 22 lines × 28 characters (w:docGrid type linesAndChars)."""
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    grid.set(qn("w:charSpace"), str(CHAR_SPACE))


def _default_font(doc) -> None:
    style = doc.styles["Normal"]
    style.font.name = FONT_BODY
    style.font.size = SIZE_BODY
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), FONT_BODY)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)


def _page_number_footer(doc) -> None:
    """A centred page number "— n —" in 宋体 四号, as official documents carry."""
    footer = doc.sections[0].footer
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_run_font(paragraph.add_run("— "), FONT_PAGE_NUMBER, SIZE_TABLE)
    run = paragraph.add_run()
    set_run_font(run, FONT_PAGE_NUMBER, SIZE_TABLE)
    for tag, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if tag is not None:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), tag)
            run._element.append(fld)
        elif text == "PAGE":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._element.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._element.append(t)
    set_run_font(paragraph.add_run(" —"), FONT_PAGE_NUMBER, SIZE_TABLE)


def _docx_table(doc, headers: tuple[str, ...], rows: list[tuple]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    try:
        table.style = doc.styles["Table Grid"]
    except KeyError:  # pragma: no cover - the default template has it
        pass
    table.alignment = WD_TABLE_ALIGNMENT.CENTER

    def fill(cell, text: str, font: str, bold: bool, align) -> None:
        paragraph = cell.paragraphs[0]
        paragraph.alignment = align
        paragraph.paragraph_format.space_before = Pt(0)
        paragraph.paragraph_format.space_after = Pt(0)
        set_run_font(paragraph.add_run(xml_text(text)), font, SIZE_TABLE, bold)

    for cell, text in zip(table.rows[0].cells, headers):
        fill(cell, text, FONT_H1, False, WD_ALIGN_PARAGRAPH.CENTER)
    for row in rows:
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, row)):
            align = WD_ALIGN_PARAGRAPH.LEFT if i == 0 else WD_ALIGN_PARAGRAPH.CENTER
            fill(cell, "" if value is None else str(value), FONT_BODY, False, align)


def to_docx(summary: dict) -> bytes:
    doc = Document()
    _page_setup(doc)
    _default_font(doc)
    _page_number_footer(doc)
    title = _title(summary)
    doc.core_properties.title = title = xml_text(title)
    if summary.get("organisation"):
        doc.core_properties.author = xml_text(summary["organisation"])

    # the template's document starts empty: the title is the first paragraph
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_before = Pt(0)
    heading.paragraph_format.space_after = LINE_SPACING
    set_run_font(heading.add_run(title), FONT_TITLE, SIZE_TITLE)
    _outline_level(heading, 0)

    as_of = _as_of_line(summary)
    if as_of:
        _add_text(doc, as_of, FONT_H2, SIZE_BODY, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)

    for depth, section in _walk(_sections(summary)):
        section_title = section.get("title") or section.get("key") or ""
        if section_title:
            font = FONT_H1 if depth == 1 else (FONT_H2 if depth == 2 else FONT_BODY)
            _add_text(doc, str(section_title), font, SIZE_BODY, bold=depth >= 3, outline=min(depth, 8))
        text = section.get("text") or ""
        for para in _paragraphs(text):
            _add_text(doc, para, FONT_BODY, SIZE_BODY)
        for target in section.get("targets") or []:
            if not isinstance(target, dict):
                continue
            item = target.get("text") or target.get("label")
            if item and item not in text:
                _add_text(doc, str(item), FONT_BODY, SIZE_BODY)

    figures = all_figures(summary)
    targets = [t for t in (summary.get("targets") or []) if isinstance(t, dict)]
    if figures or targets:
        _add_text(doc, "附：数据来源", FONT_H1, SIZE_BODY, indent=False, outline=1)
    if figures:
        rows = [(f.get("label") or f.get("key") or "", f.get("text") or "", _event_count(f)) for f in figures]
        _docx_table(doc, ("指标", "数值", "来源事件数"), rows)
    if targets:
        _add_text(doc, "目标完成情况", FONT_H2, SIZE_BODY, indent=False)
        rows = [
            (
                t.get("label") or t.get("text") or t.get("target_kind") or "",
                _target_amount(t.get("quantity"), t.get("unit")),
                _target_amount(t.get("actual"), t.get("unit")),
            )
            for t in targets
        ]
        _docx_table(doc, ("目标", "目标数", "完成数"), rows)

    buffer = io.BytesIO()
    if summary.get("provenance"):  # what it was made from (projections/provenance.py), as hidden text
        hidden = doc.add_paragraph().add_run(json.dumps(summary["provenance"], ensure_ascii=False))
        hidden.font.hidden = True
    doc.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Excel and CSV

TARGET_HEADERS_ZH = ("范围", "类别", "目标", "目标数", "单位", "完成数", "文字")


def _xlsx_sheet(ws, headers: tuple[str, ...], rows: list[list], widths: tuple[int, ...]) -> None:
    ws.append(list(headers))
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in rows:
        ws.append([xml_text(c) if isinstance(c, str) else c for c in row])
    xlsx_text_cells(ws)  # a title or unit starting with "=" stays text, never a live formula
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
    if rows:
        ws.auto_filter.ref = ws.dimensions


def to_xlsx(summary: dict) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "指标"
    rows = []
    for figure in all_figures(summary):
        r = _figure_row(figure)
        rows.append([
            r["key"], r["label"], _number(r["value"]), r["unit"], r["approx"], r["text"],
            r["event_count"], r["event_digest"],
        ])
    _xlsx_sheet(ws, FIGURE_HEADERS_ZH, rows, (32, 24, 18, 8, 8, 24, 12, 40))
    for (value_cell,) in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        if isinstance(value_cell.value, float):
            value_cell.number_format = "#,##0.00"
        elif isinstance(value_cell.value, int):
            value_cell.number_format = "#,##0"

    targets = all_targets(summary)
    if targets:
        ts = wb.create_sheet("目标")
        trows = [
            [scope, t.get("target_kind") or "", t.get("label") or "", _number(t.get("quantity")),
             t.get("unit") or "", _number(t.get("actual")), t.get("text") or ""]
            for scope, t in targets
        ]
        _xlsx_sheet(ts, TARGET_HEADERS_ZH, trows, (28, 16, 20, 10, 8, 10, 36))

    if summary.get("provenance"):  # what it was made from (projections/provenance.py): read by verify-summary
        sheet = wb.create_sheet("来源")
        sheet["A1"] = json.dumps(summary["provenance"], ensure_ascii=False)
    wb.properties.title = _title(summary)
    if summary.get("organisation"):
        wb.properties.creator = str(summary["organisation"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_csv(summary: dict) -> str:
    """The figures, one row each; value as written in the summary (exact), with the count
    and digest of its events."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIGURE_COLUMNS)
    for figure in all_figures(summary):
        r = _figure_row(figure)
        writer.writerow([csv_cell(c) for c in [
            r["key"], r["label"], "" if r["value"] is None else str(r["value"]), r["unit"], r["approx"],
            r["text"], r["event_count"], r["event_digest"],
        ]])
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Registry

def to_pdf(summary: dict) -> bytes:
    """The print-ready PDF, in the docx's GB/T 9704 layout (projections/pdf.py, which imports this module)."""
    from projections.pdf import to_pdf as render_pdf

    return render_pdf(summary)


RENDERERS: dict[str, Callable[[dict], str | bytes]] = {
    "md": to_markdown,
    "docx": to_docx,
    "pdf": to_pdf,
    "xlsx": to_xlsx,
    "csv": to_csv,
}

MEDIA_TYPES: dict[str, str] = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}

EXTENSIONS: dict[str, str] = {"md": ".md", "docx": ".docx", "pdf": ".pdf", "xlsx": ".xlsx", "csv": ".csv"}


def filename(summary: dict, fmt: str) -> str:
    """A download name such as "某区工商联-2020-工作总结.docx"."""
    org = str(summary.get("organisation") or "summary").replace("/", "_").replace("\\", "_")
    year = summary.get("year")
    stem = f"{org}-{year}-工作总结" if year is not None else f"{org}-工作总结"
    return stem + EXTENSIONS[fmt]
