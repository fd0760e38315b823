"""The PDF summary: A4, GB/T 9704 margins, 22 lines × 28 characters, fonts embedded, "— n —" page numbers.

Read back with pypdf: page boxes, the font dictionaries (an embedded TrueType font has a FontFile2),
and the position of every character drawn (each one is placed on the grid)."""
from __future__ import annotations

import io
import re

import pytest

pypdf = pytest.importorskip("pypdf")
from projections import pdf  # noqa: E402

MM = 72 / 25.4
BODY = "工商联组织会员企业参加招聘活动服务民营经济发展" * 12  # pure full-width text: 28 to a full line
SUMMARY = {
    "title": "东西湖区工商联2020年工作总结", "organisation": "东西湖区工商联", "year": 2020,
    "sections": [{"key": "a", "title": "一、服务民营经济高质量发展", "text": "\n".join([BODY] * 6),
                  "figures": [], "subsections": [
                      {"key": "b", "title": "（一）搭建招聘平台", "text": BODY, "figures": []}]}],
}


@pytest.fixture(scope="module")
def reader():
    try:
        data = pdf.to_pdf(SUMMARY)
    except pdf.FontMissing as e:
        pytest.fail(f"{e}")  # scripts/test installs the fonts: a missing font is a failure, not a skip
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def glyphs(page) -> list[tuple[str, float, float, float]]:
    """(shown string, x, y, font size) of every text-showing operation of the page's content stream
    (the PDF places each character with its own text matrix: one character per operation)."""
    from pypdf.generic import ContentStream

    out = []
    size, x, y = 0.0, 0.0, 0.0
    for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
        if operator == b"Tf":
            size = float(operands[1])
        elif operator == b"Tm":
            x, y = float(operands[4]), float(operands[5])
        elif operator == b"Tj":
            out.append((operands[0], x, y, size))
    return out


def test_every_page_is_a4(reader):
    assert len(reader.pages) >= 2
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 210 * MM) < 0.5 and abs(height - 297 * MM) < 0.5


def test_every_font_is_embedded(reader):
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile2", "/FontFile3", "/FontFile")), font["/BaseFont"]
            names.add(str(font["/BaseFont"]))
    assert names  # subsets of the CJK faces (AR PL UMing, UKai…)


def test_the_body_stands_on_a_grid_of_22_lines_of_28_characters(reader):
    grid = pdf.layout()
    first = grid["first_baseline"]
    left, right = 28 * MM, (210 - 26) * MM
    for page in reader.pages:
        body = [g for g in glyphs(page) if g[3] == 16]
        lines: dict[int, list] = {}
        for ch, x, y, _size in body:
            line = (first - y) / grid["line_pitch"]
            assert abs(line - round(line)) < 0.01, (ch, y)  # every baseline is a grid line
            assert left - 0.5 <= x <= right, (ch, x)
            lines.setdefault(round(line), []).append((x, ch))
        assert max(lines) < 22  # 22 lines a page at most
        full = [sorted(v) for v in lines.values() if len(v) == 28]
        assert full, "no full body line on the page"
        for row in full:
            # 28 characters on a 156 mm line: one every 156/28 mm, from the left margin
            assert abs(row[0][0] - left) < 0.5
            assert abs((row[-1][0] - row[0][0]) / 27 - grid["char_pitch"]) < 0.01
        assert all(len(v) <= 28 for v in lines.values())


def test_the_first_page_fills_its_22_lines(reader):
    grid = pdf.layout()
    ys = {round((grid["first_baseline"] - y) / grid["line_pitch"]) for _c, _x, y, s in glyphs(reader.pages[0])
          if s in (16, 22)}
    assert ys == set(range(22)) - {1}  # the title, a blank line (as in the docx), then 20 lines of text


def test_pages_are_numbered_with_dashes_under_the_text_block(reader):
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert re.search(rf"— {number} —", text), text[-40:]
        numbers = [g for g in glyphs(page) if g[3] == 14]
        assert numbers and all(g[2] < 35 * MM - 7 * MM for g in numbers)


def test_the_title_is_22_point_and_centred(reader):
    title = [g for g in glyphs(reader.pages[0]) if g[3] == 22]
    assert len(title) == len(SUMMARY["title"])
    assert reader.pages[0].extract_text().startswith(SUMMARY["title"])
    middle = (title[0][1] + title[-1][1] + 22) / 2
    assert abs(middle - 105 * MM) < 3
