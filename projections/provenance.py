"""Provenance of an exported summary (总结): what it was made from, so a downloaded file can be checked.

Every export (json, xlsx, docx) carries a ``provenance`` block: the log position the summary was made
at, the checkpoint it was made under (the signed C2SP note when the server has the signing key, else
the chain head), and per figure its value, the count of the events behind it and a digest of their
positions (``event_digest``: a multiset hash, the summary's own ``event_digest``). ``taizhang verify-summary FILE`` reads the
block and the figures the file shows, recomputes the summary at that position from the ledger, and
reports every figure that differs (in the file, or in the ledger since) — see ``check``.
"""
from __future__ import annotations

import hashlib
import io
import json
from functools import lru_cache
from typing import Any

FORMAT = "taizhang-provenance/2"  # /2: the digest is the multiset hash below (/1 hashed the sorted list)
XLSX_SHEET = "来源"


def _figures(summary: dict) -> list[dict]:
    out: list[dict] = []

    def walk(sections: list[dict]) -> None:
        for section in sections or []:
            out.extend(f for f in section.get("figures") or [] if isinstance(f, dict))
            walk(section.get("subsections") or [])

    walk(summary.get("sections") or [])
    return out


# The digest of a figure's events is a multiset hash: each position maps to 2048 bits (SHAKE-256 of its
# decimal text), the terms are added modulo 2**2048 and the sum is hashed (SHA-256). Adding is order-free
# and can be undone, so the figure state (projections/figure_state.py) keeps each figure's sum by deltas as
# events arrive, and a figure over others (a change, a share, a roll-up) sums its parts' sums.
MODULUS = 1 << 2048


@lru_cache(maxsize=1 << 16)
def event_term(position: int) -> int:
    return int.from_bytes(hashlib.shake_256(str(int(position)).encode()).digest(256), "big")


def event_sum(ids: Any) -> int:
    return sum(event_term(int(i)) for i in ids or []) % MODULUS


def digest_of_sum(total: int) -> str:
    return hashlib.sha256((total % MODULUS).to_bytes(256, "big")).hexdigest()


def event_digest(ids: Any) -> str:
    """The digest of a multiset of event positions (what a figure's ``event_digest`` is)."""
    return digest_of_sum(event_sum(ids))


def figure_events(f: dict) -> tuple[int, str]:
    """(count, digest) of a figure's events: as the summary carries them, or from listed ``event_ids``."""
    if "event_count" in f:
        return int(f.get("event_count") or 0), f.get("event_digest") or event_digest([])
    ids = f.get("event_ids") or []
    return len(ids), event_digest(ids)


def describe(summary: dict, checkpoint: Any) -> dict:
    """The provenance block of ``summary`` made under ``checkpoint`` (a signed note, or the chain head's JSON)."""
    return {"format": FORMAT, "organisation": summary.get("organisation"), "year": summary.get("year"),
            "position": summary.get("position"), "checkpoint": checkpoint,
            "figures": [{"key": f.get("key"), "value": _plain(f.get("value")), "text": f.get("text"),
                         "count": figure_events(f)[0], "digest": figure_events(f)[1]}
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
        if figure_events(current) != (made["count"], made["digest"]):
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
