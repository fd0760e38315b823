"""Firms pasted as a list (one per line, from a spreadsheet column, a chat message or a sign-in sheet).

A phone's form has one block per firm and a button for one more; a long list is faster pasted into
one box. Each line is a firm: its name, its unified social credit code, or both (the code last,
after a space, a tab, a comma or the Chinese 、，；). Numbering such as "1." or "（2）" and bullets
in front of a line are dropped; empty lines are skipped.

Below the web (service/) because the sheet import (service/sheets.py) reads a firm cell of an Excel
台账 with it too; api/firm_list.py keeps the name the form imports.
"""
from __future__ import annotations

import re

CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$", re.I)  # the USCC alphabet (checked again by the schema)
SEPARATORS = re.compile(r"[\s,，、;；|]+")
NUMBERING = re.compile(r"^\s*(?:[-*•·]+|\(?（?\d{1,3}[.)）、]|\d{1,3}\s)\s*")


def parse_firm_list(text: str | None) -> list[dict[str, str]]:
    """The firms of a pasted list, in order, as ``{"name", "uscc"}`` rows of the form."""
    firms = []
    for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = NUMBERING.sub("", line).strip()
        if not line:
            continue
        parts = [p for p in SEPARATORS.split(line) if p]
        code = ""
        if parts and CODE.match(parts[-1]):
            code = parts.pop().upper()
        firms.append({"name": " ".join(parts), "uscc": code})
    return firms
