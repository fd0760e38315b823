"""Provenance of an exported summary (总结): what it was made from, so a downloaded file can be checked.

Every export (json, xlsx, docx) carries a ``provenance`` block: the log position the summary was made
at, the checkpoint it was made under (the signed C2SP note when the server has the signing key, else
the chain head), and per figure its value, the count of the events behind it and a digest of their
positions (SHA-256 over the sorted positions, one a line). ``taizhang verify-summary FILE`` reads the
block and the figures the file shows, recomputes the summary at that position from the ledger, and
reports every figure that differs (in the file, or in the ledger since) — see ``check``.
"""
from __future__ import annotations

import hashlib
import io
import json
from typing import Any

FORMAT = "taizhang-provenance/1"
XLSX_SHEET = "来源"


def _figures(summary: dict) -> list[dict]:
    out: list[dict] = []

    def walk(sections: list[dict]) -> None:
        for section in sections or []:
            out.extend(f for f in section.get("figures") or [] if isinstance(f, dict))
            walk(section.get("subsections") or [])

    walk(summary.get("sections") or [])
    return out


def event_digest(ids: Any) -> str:
    return hashlib.sha256("\n".join(str(p) for p in sorted(int(i) for i in ids or [])).encode()).hexdigest()


def describe(summary: dict, checkpoint: Any) -> dict:
    """The provenance block of ``summary`` made under ``checkpoint`` (a signed note, or the chain head's JSON)."""
    return {"format": FORMAT, "organisation": summary.get("organisation"), "year": summary.get("year"),
            "position": summary.get("position"), "checkpoint": checkpoint,
            "figures": [{"key": f.get("key"), "value": _plain(f.get("value")), "text": f.get("text"),
                         "count": len(f.get("event_ids") or []), "digest": event_digest(f.get("event_ids"))}
                        for f in _figures(summary)]}


def attach(summary: dict, checkpoint: Any) -> dict:
    summary["provenance"] = describe(summary, checkpoint)
    return summary


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (int, float, str, bool)) else str(value)


def read_file(data: bytes, fmt: str) -> tuple[dict, dict[str, Any]]:
    """(the provenance block, what the file shows per figure key) of an exported summary."""
    if fmt == "json":
        body = json.loads(data.decode("utf-8"))
        shown = {f.get("key"): _plain(f.get("value")) for f in _figures(body)}
        return body["provenance"], shown
    if fmt == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data))
        block = json.loads(wb[XLSX_SHEET]["A1"].value)
        rows = wb["指标"].iter_rows(min_row=2, values_only=True)
        return block, {r[0]: _plain(r[2]) for r in rows if r and r[0]}
    if fmt == "docx":
        from docx import Document

        doc = Document(io.BytesIO(data))
        block = next(json.loads(p.text) for p in reversed(doc.paragraphs) if p.text.startswith('{"format": "' + FORMAT))
        labels: dict[str, Any] = {}
        for table in doc.tables:
            header = [c.text for c in table.rows[0].cells]
            if header[:2] == ["指标", "数值"]:
                for row in table.rows[1:]:
                    labels.setdefault(row.cells[0].text, []).append(row.cells[1].text)
        return block, {"__texts__": labels}
    raise ValueError(f"cannot read provenance from a .{fmt} file (json, xlsx or docx)")


def check(block: dict, shown: dict[str, Any], fresh: dict) -> list[str]:
    """What differs between a file (its provenance ``block`` and the figures it ``shows``) and ``fresh``,
    the summary recomputed from the ledger at the block's position. Empty when the file is genuine."""
    problems = []
    now = {f.get("key"): f for f in _figures(fresh)}
    texts = shown.get("__texts__")
    for made in block.get("figures") or []:
        key = made["key"]
        current = now.get(key)
        if current is None:
            problems.append(f"figure {key}: not in the ledger's summary at position {block.get('position')}")
            continue
        if (len(current.get("event_ids") or []), event_digest(current.get("event_ids"))) != \
                (made["count"], made["digest"]):
            problems.append(f"figure {key}: its events differ from the ledger's (the ledger or the file was changed)")
        if _plain(current.get("value")) != made["value"]:
            problems.append(f"figure {key}: {made['value']} in the file's provenance, {current.get('value')} in "
                            "the ledger")
        if texts is None:
            if key in shown and not _same(shown[key], made["value"]):
                problems.append(f"figure {key}: the file shows {shown[key]}, it was made with {made['value']}: "
                                "the file was changed")
        elif made.get("text") is not None:
            label = current.get("label") or key
            if label in texts and (made.get("text") or "") not in texts[label]:
                problems.append(f"figure {key}: the file shows {texts[label]}, it was made with "
                                f"{made.get('text')}: the file was changed")
    return problems


def _same(a: Any, b: Any) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)
