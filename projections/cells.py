"""Text made safe for the places a summary's words end up: spreadsheet cells and Markdown.

A title or a unit is whatever staff typed. In a spreadsheet, text starting with ``=``, ``+``, ``-`` or
``@`` (or a tab / carriage return) is taken for a formula by Excel, LibreOffice and openpyxl alike
("CSV injection"); in Markdown, raw ``<script>`` is live HTML once rendered. These helpers keep the
words and take the power away. Numbers (``-3``, ``+12.5``) stay numbers.
"""
from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def is_formula_like(value: Any) -> bool:
    """Text a spreadsheet would read as a formula (a plain signed number is not)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value)


def csv_cell(value: Any) -> Any:
    """A CSV cell: formula-like text gets a leading apostrophe (the usual defence; shown as text)."""
    return "'" + value if is_formula_like(value) else value


def xlsx_text_cells(ws) -> None:
    """Every text cell of an openpyxl sheet written as a string, never as a formula.

    openpyxl marks any str starting with "=" as a formula (data_type "f"); setting the type back to "s"
    keeps the words exactly and stores them as a shared string. Text starting with + - @ is already
    stored as a string by openpyxl, so it stays text in Excel too.
    """
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"


_MD_HTML = str.maketrans({"<": "&lt;", ">": "&gt;"})


def md_text(value: Any) -> str:
    """Markdown text with no raw HTML: ``<`` and ``>`` as entities (rendered, they read the same)."""
    return ("" if value is None else str(value)).translate(_MD_HTML)


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """Text XML (so Word) can hold: characters XML 1.0 forbids are dropped.

    The schemas refuse them on the way in; this keeps a document of events logged before that
    (or imported from elsewhere) from failing as a whole."""
    return _XML_INVALID.sub("", "" if value is None else str(value))
