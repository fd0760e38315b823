"""The year-end summary as a print-ready PDF, in the layout of GB/T 9704-2012 (党政机关公文格式).

The same layout as the docx (projections/render.py ``to_docx``): A4, margins top 37 mm, bottom 35 mm,
left 28 mm, right 26 mm; a text block of 22 lines × 28 characters (line pitch 225 mm / 22, character
pitch 156 mm / 28); title 2号 (22 pt) centred, body 3号 (16 pt) with a two-character first-line indent,
headings 一、 黑体-style and （一） 楷体-style, page numbers "— n —" 4号 (14 pt) centred 7 mm under the
text block. Every character of the body stands on the grid: a full-width character takes one cell, a
half-width one (digits, Latin) its own width; punctuation that may not start a line stays at the end
of the one before (避头).

Fonts are free CJK fonts from Debian, embedded (as subsets) in every PDF: AR PL UMing (fonts-arphic-uming)
for the title and body, AR PL UKai (fonts-arphic-ukai) for the 楷体 headings, WenQuanYi Micro Hei
(fonts-wqy-microhei) for the 黑体 headings when it is there; scripts/test and scripts/run install them.
``TAIZHANG_PDF_FONTS`` names another folder to look in first.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from projections.render import (
    _as_of_line,
    _event_count,
    _paragraphs,
    _sections,
    _target_amount,
    _title,
    _walk,
    all_figures,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
TOP, BOTTOM, LEFT, RIGHT = 37 * mm, 35 * mm, 28 * mm, 26 * mm
LINES, CHARS = 22, 28
TEXT_WIDTH = PAGE_WIDTH - LEFT - RIGHT  # 156 mm
TEXT_HEIGHT = PAGE_HEIGHT - TOP - BOTTOM  # 225 mm
LINE_PITCH = TEXT_HEIGHT / LINES  # ≈ 28.99 pt
CHAR_PITCH = TEXT_WIDTH / CHARS  # ≈ 15.79 pt
BASELINE = 0.78  # where a line's baseline sits in its pitch, from the top
SIZE_TITLE, SIZE_BODY, SIZE_PAGE_NUMBER, SIZE_TABLE = 22, 16, 14, 14
PAGE_NUMBER_GAP = 7 * mm  # from the text block's lower edge to the page number's
NO_LINE_START = set("，。、；：？！）》」』】〕…—,.;:?!)%％")
FONT_DIRS = ("/usr/share/fonts/truetype/arphic", "/usr/share/fonts/truetype/wqy", "/usr/share/fonts/truetype",
             "/usr/share/fonts")
FONT_FILES = {"TZMing": ("uming.ttc", "uming.ttf"), "TZKai": ("ukai.ttc", "ukai.ttf"),
              "TZHei": ("wqy-microhei.ttc", "wqy-zenhei.ttc")}


class FontMissing(RuntimeError):
    """A CJK font the PDF needs is not installed."""


def _find(names: tuple[str, ...]) -> Path | None:
    dirs = [os.environ["TAIZHANG_PDF_FONTS"]] if os.environ.get("TAIZHANG_PDF_FONTS") else []
    for folder in [*dirs, *FONT_DIRS]:
        for name in names:
            for path in (Path(folder) / name, *Path(folder).glob(f"**/{name}")):
                if path.is_file():
                    return path
    return None


def register_fonts() -> dict[str, str]:
    """Register the fonts once; answers role → font name (the 黑体 role falls back to the Ming face)."""
    found: dict[str, str] = {}
    for name, files in FONT_FILES.items():
        if name in pdfmetrics.getRegisteredFontNames():
            found[name] = name
            continue
        path = _find(files)
        if path is None:
            continue
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0) if path.suffix == ".ttc"
                                else TTFont(name, str(path)))
        found[name] = name
    if "TZMing" not in found:
        raise FontMissing("the PDF needs the CJK font AR PL UMing: apt-get install fonts-arphic-uming "
                          "(scripts/test and scripts/run do it)")
    return {"title": "TZMing", "body": "TZMing", "h1": found.get("TZHei", "TZMing"),
            "h2": found.get("TZKai", "TZMing"), "page": "TZMing"}


def _full_width(ch: str) -> bool:
    code = ord(ch)
    return code >= 0x2E80 or 0x2010 <= code <= 0x2027 or 0x3000 <= code <= 0x303F


@dataclass
class Block:
    """A paragraph to set: its text, font role, size, centred or not, first-line indent (characters),
    whether it is drawn heavier (小标宋-style title, headings), and a blank line after it."""

    text: str
    role: str = "body"
    size: float = SIZE_BODY
    centred: bool = False
    indent: int = 2
    heavy: bool = False
    space_after: int = 0


class Pages:
    """Sets blocks line by line on the 22 × 28 grid, page after page."""

    def __init__(self, c: canvas.Canvas, fonts: dict[str, str]):
        self.c = c
        self.fonts = fonts
        self.page = 1
        self.line = 0  # the next free grid line of the page

    def advance(self, ch: str, font: str, size: float) -> float:
        if size == SIZE_BODY and _full_width(ch):
            return CHAR_PITCH
        if _full_width(ch):
            return size
        return pdfmetrics.stringWidth(ch, font, size)

    def lines_of(self, block: Block) -> list[list[tuple[str, float]]]:
        """The block broken into lines: each a list of (character, advance)."""
        font = self.fonts[block.role]
        width = TEXT_WIDTH
        lines: list[list[tuple[str, float]]] = []
        current: list[tuple[str, float]] = []
        used = block.indent * CHAR_PITCH if block.indent else 0.0
        for ch in block.text:
            step = self.advance(ch, font, block.size)
            if current and used + step > width + 0.01 and ch not in NO_LINE_START:
                lines.append(current)
                current, used = [], 0.0
            current.append((ch, step))
            used += step
        if current or not lines:
            lines.append(current)
        return lines

    def new_page(self) -> None:
        self.page_number()
        self.c.showPage()
        self.page += 1
        self.line = 0

    def page_number(self) -> None:
        text = f"— {self.page} —"
        font = self.fonts["page"]
        self.c.setFont(font, SIZE_PAGE_NUMBER)
        y = BOTTOM - PAGE_NUMBER_GAP - SIZE_PAGE_NUMBER * 0.8
        self.c.drawCentredString(PAGE_WIDTH / 2, y, text)

    def baseline(self, line: int) -> float:
        return PAGE_HEIGHT - TOP - line * LINE_PITCH - LINE_PITCH * BASELINE

    def set(self, block: Block) -> None:
        font = self.fonts[block.role]
        for i, chars in enumerate(self.lines_of(block)):
            if self.line >= LINES:
                self.new_page()
            total = sum(step for _ch, step in chars)
            if block.centred:
                x = LEFT + (TEXT_WIDTH - total) / 2
            else:
                x = LEFT + (block.indent * CHAR_PITCH if i == 0 and block.indent else 0)
            y = self.baseline(self.line)
            self.c.setFont(font, block.size)
            text = self.c.beginText()
            text.setFont(font, block.size)
            if block.heavy:  # 小标宋-style weight from a regular face: each glyph filled and outlined
                self.c.setLineWidth(block.size * 0.03)
                text.setTextRenderMode(2)
            for ch, step in chars:
                # a glyph narrower than its cell is centred in it (CJK glyphs are square at the font size)
                own = pdfmetrics.stringWidth(ch, font, block.size)
                dx = (step - own) / 2 if step > own else 0
                text.setTextOrigin(x + dx, y)
                text.textOut(ch)
                x += step
            self.c.drawText(text)
            self.line += 1
        self.line += block.space_after

    def finish(self) -> None:
        self.page_number()
        self.c.showPage()


def blocks(summary: dict) -> list[Block]:
    """The summary as blocks, in the docx's order: title, as-of line, sections, then the sources."""
    out = [Block(_title(summary), "title", SIZE_TITLE, centred=True, indent=0, heavy=True, space_after=1)]
    as_of = _as_of_line(summary)
    if as_of:
        out.append(Block(as_of, "h2", centred=True, indent=0))
    for depth, section in _walk(_sections(summary)):
        title = section.get("title") or section.get("key") or ""
        if title:
            out.append(Block(str(title), "h1" if depth == 1 else ("h2" if depth == 2 else "body"), heavy=depth >= 3))
        text = section.get("text") or ""
        out.extend(Block(p) for p in _paragraphs(text))
        for target in section.get("targets") or []:
            if isinstance(target, dict):
                item = target.get("text") or target.get("label")
                if item and item not in text:
                    out.append(Block(str(item)))
    figures = all_figures(summary)
    targets = [t for t in (summary.get("targets") or []) if isinstance(t, dict)]
    if figures or targets:
        out.append(Block("附：数据来源", "h1", indent=0))
    for f in figures:
        out.append(Block(f"{f.get('label') or f.get('key') or ''}：{f.get('text') or ''}"
                         f"（来源事件 {_event_count(f)} 个）", indent=0))
    if targets:
        out.append(Block("目标完成情况", "h2", indent=0))
        for t in targets:
            name = t.get("label") or t.get("text") or t.get("target_kind") or ""
            out.append(Block(f"{name}：目标 {_target_amount(t.get('quantity'), t.get('unit'))}，"
                             f"完成 {_target_amount(t.get('actual'), t.get('unit'))}", indent=0))
    return out


def to_pdf(summary: dict) -> bytes:
    fonts = register_fonts()
    buffer = io.BytesIO()
    # the initial font too must be an embedded one (reportlab's default, Helvetica, is not embedded)
    c = canvas.Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=fonts["body"],
                      initialFontSize=SIZE_BODY)
    title = _title(summary)
    c.setTitle(title)
    c.setAuthor(str(summary.get("organisation") or ""))
    c.setSubject("工作总结")
    c.setCreator("taizhang")
    pages = Pages(c, fonts)
    for block in blocks(summary):
        pages.set(block)
    pages.finish()
    c.save()
    return buffer.getvalue()


def layout() -> dict[str, Any]:
    """The grid in points, for tests and the docs: page, margins, pitches."""
    return {"page": (PAGE_WIDTH, PAGE_HEIGHT), "margins": (TOP, BOTTOM, LEFT, RIGHT), "lines": LINES,
            "chars": CHARS, "line_pitch": LINE_PITCH, "char_pitch": CHAR_PITCH,
            "first_baseline": PAGE_HEIGHT - TOP - LINE_PITCH * BASELINE}
