"""Shared helpers for the ledger core's tests: valid payloads for any kind, and a ledger on a folder.

Import from test modules as ``from tests.helpers import …`` (the suite runs as ``python -m pytest``
from the repository root, as scripts/test does). Payloads are built from the catalogue and the
schemas, so a kind added to ``domain.catalogue.KINDS`` is covered without touching the tests.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from domain.catalogue import COMMON_FIELDS, KINDS, KINDS_BY_KEY, Field
from domain.uscc import make_uscc
from service.ledger import Ledger
from service.schemas import schema_for

ORG = "东西湖区工商联"
DAY = "2020-05-12"
NEXT_DAY = "2020-05-13"
FIRM = {"name": "武汉甲科技有限公司", "uscc": make_uscc(1)}
OTHER_FIRM = {"name": "武汉乙实业有限公司", "uscc": make_uscc(2)}

KIND_KEYS = [k.key for k in KINDS]
ACTION_KINDS = [k.key for k in KINDS if k.aggregate == "action"]
CHAMBER_KINDS = [k.key for k in KINDS if k.aggregate == "chamber"]
ENTERPRISE_KINDS = [k.key for k in KINDS if k.aggregate == "enterprise"]

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")


def choices_of(kind_key: str, name: str) -> list[str]:
    """The allowed values of a choice field, as the schema takes them."""
    return list(schema_for(kind_key).fields[name].metadata["choices"])


def sample_value(kind_key: str, f: Field) -> Any:
    """A valid value for one catalogue field, in the JSON the schemas take."""
    if f.type == "count":
        return 12
    if f.type == "money":
        return "280000.50"
    if f.type == "integer":
        return 2021
    if f.type == "date":
        return NEXT_DAY if f.name == "ends_on" else DAY
    if f.type == "choice":
        if f.name == "theme":
            return KINDS_BY_KEY[kind_key].theme
        return choices_of(kind_key, f.name)[0]
    if f.type == "text":
        if f.name == "organisation":
            return ORG
        if f.name == "chamber":
            return "武汉市东西湖区湖北商会"
        return f"{f.zh}示例"
    if f.type == "measures":
        return [{"name": "总投资", "value": "4.72", "unit": "亿元", "approx": None}]
    raise AssertionError(f"no sample for field type {f.type}")


def valid_payload(kind_key: str, key: str | None = None, *, minimal: bool = False, **overrides: Any) -> dict:
    """A payload ``load_action`` accepts for ``kind_key``: every field set (or only the required ones).

    Enterprise kinds name exactly one firm; other kinds name one firm unless ``minimal``.
    """
    kind = KINDS_BY_KEY[kind_key]
    payload: dict[str, Any] = {"kind": kind_key}
    if key is not None:
        payload["key"] = key
    for f in COMMON_FIELDS + kind.fields:
        if minimal and not f.required:
            continue
        payload[f.name] = sample_value(kind_key, f)
    if kind.aggregate == "enterprise":
        payload["firms"] = [dict(FIRM)]
    elif not minimal:
        payload["firms"] = [dict(FIRM)]
    payload.update(overrides)
    return payload


def leaf_messages(messages: Any) -> list[str]:
    """Every message string in marshmallow's nested messages."""
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [m for v in messages.values() for m in leaf_messages(v)]
    if isinstance(messages, (list, tuple)):
        return [m for v in messages for m in leaf_messages(v)]
    return [str(messages)]


def is_bilingual(message: str) -> bool:
    return bool(CJK.search(message)) and bool(LATIN.search(message))


def open_ledger(folder: Path | str, **env: str) -> Ledger:
    """A ledger on an SQLite file in ``folder``."""
    return Ledger(env={"TAIZHANG_DATA": str(folder), **env})


@pytest.fixture
def sqlite_only(monkeypatch):
    """Make sure no PostgreSQL setting of the caller's shell switches the store."""
    for name in ("PERSISTENCE_MODULE", "TAIZHANG_PERSISTENCE_MODULE", "TAIZHANG_ACTOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ledger(tmp_path, sqlite_only):
    """A fresh ledger on an SQLite file under tmp_path."""
    app = open_ledger(tmp_path)
    yield app
    app.close()


# --- sheets (Excel/CSV 台账) for the sheet import's tests: made with openpyxl here, no binary fixtures ---

def xlsx_bytes(rows: list[list], sheet: str = "台账", title_row: str | None = None, more_sheets: dict | None = None) -> bytes:
    """An .xlsx workbook of ``rows`` (the first is the header), optionally under a merged title row."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    if title_row:
        ws.append([title_row])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(rows[0]), 2))
    for row in rows:
        ws.append(row)
    for name, other in (more_sheets or {}).items():
        extra = book.create_sheet(name)
        for row in other:
            extra.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# A small job-fair 台账 as CSV: its bytes (and so its SHA-256, the upload's id) are the same on every run.
SHEET_CSV = ("日期,活动名称,形式,提供岗位数（个）,参与企业\n"
             "2020年5月12日,线上招聘会（表格导入）,线上,1200余,武汉甲科技有限公司、武汉乙实业有限公司\n"
             "2020/6/1,线下招聘会（表格导入）,线下,40,武汉丙有限公司\n").encode("utf-8")


# --- a figure's events, listed on demand (the summary carries only their count and digest) ---

def with_event_ids(reports, summary: dict, **scope) -> dict:
    """``summary`` with each figure's ``event_ids`` listed as the API lists them (every page), each list
    checked against the figure's ``event_count`` and ``event_digest``."""
    from projections.provenance import event_digest
    from projections.summary import figure_index

    for key, f in figure_index(summary).items():
        ids = reports.figure_event_ids(summary["year"], key, organisation=summary["organisation"],
                                       as_of=summary["position"], **scope)
        assert ids is not None, key
        assert (len(ids), event_digest(ids)) == (f["event_count"], f["event_digest"]), key
        f["event_ids"] = ids
    return summary
