"""The year-end summary (工作总结): figures folded from records, and the narrative around them.

Shape (the JSON contract, documented in docs/figures.md):
{year, organisation, title, as_of, position, sections: [{key, title, text, figures: [{key, label, value,
 unit, approx, text, event_ids}], subsections: [...], targets?}], targets}
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.catalogue import KINDS, KINDS_BY_KEY, THEMES, WORK_THEMES
from projections import chinese
from projections.figures import FIGURES, Figure

META_KINDS = ("problem", "target", "theme_title")
STOCK_AGGS = ("stock_sum", "stock_count")


@dataclass
class Row:
    """One live record as the figures see it."""

    id: str
    kind: str
    theme: str
    subject_id: str | None
    occurred_on: str
    year: int
    title: str
    notes: str
    firms: list
    facts: dict
    created_position: int

    @classmethod
    def from_db(cls, r: dict) -> "Row":
        return cls(r["id"], r["kind"], r["theme"], r["subject_id"], r["occurred_on"], r["year"], r["title"],
                   r["notes"] or "", json.loads(r["firms"]), json.loads(r["facts"]), r["created_position"])

    def get(self, name: str) -> Any:
        return self.facts.get(name, getattr(self, name, None))


@dataclass
class Value:
    key: str
    figure: Figure
    value: Any
    unit: str
    approx: str | None
    records: list[str]
    label: str = ""
    phrase: str = ""
    event_ids: list[int] = field(default_factory=list)

    @property
    def text(self) -> str:
        return chinese.measure(self.value, self.unit, self.approx)

    def as_json(self) -> dict:
        value = self.value
        return {"key": self.key, "label": self.label or self.figure.label_zh, "label_en": self.figure.label_en,
                "value": str(value), "unit": self.unit, "approx": self.approx, "text": self.text,
                "phrase": self.phrase, "event_ids": self.event_ids}


def _number(measure_value: Any) -> Decimal:
    return Decimal(str(measure_value))


def _marker(parts: list[tuple[Decimal, str | None]]) -> str | None:
    """A sum is approximate when any part is: it takes the marker of its largest approximate part."""
    approx = [(v, m) for v, m in parts if m]
    return max(approx, key=lambda p: p[0])[1] if approx else None


def _matches(figure: Figure, row: Row) -> bool:
    return row.kind in figure.kinds and all(row.get(k) == v for k, v in figure.where.items())


def _int_or_decimal(total: Decimal, unit: str) -> Any:
    return total if unit == "元" else int(total)


def compute(figure: Figure, rows: list[Row], stock_rows: list[Row], year: int) -> list[Value]:
    """One declared figure over the live rows of its year (stock figures over rows up to year end)."""
    year = year + figure.year_offset
    unit = figure.unit
    if figure.agg in STOCK_AGGS:
        end = f"{year}-12-31"
        candidates = [r for r in stock_rows if r.occurred_on <= end and _matches(figure, r)]
        if figure.agg == "stock_count":
            subjects = {r.subject_id or r.id for r in candidates}
            return [Value(figure.key, figure, len(subjects), unit, None, [r.id for r in candidates])]
        latest: dict[str, Row] = {}
        for r in sorted(candidates, key=lambda r: (r.occurred_on, r.created_position)):
            if figure.measure in r.facts:
                latest[r.subject_id or r.id] = r
        parts = [(_number(r.facts[figure.measure]["value"]), r.facts[figure.measure]["approx"]) for r in latest.values()]
        return [Value(figure.key, figure, int(sum((p[0] for p in parts), Decimal(0))), unit, _marker(parts),
                      [r.id for r in latest.values()])]
    matching = [r for r in rows if r.year == year and _matches(figure, r)]
    if figure.agg == "count":
        return [Value(figure.key, figure, len(matching), unit, None, [r.id for r in matching])]
    if figure.agg == "count_with":
        having = [r for r in matching if figure.measure in r.facts]
        return [Value(figure.key, figure, len(having), unit, None, [r.id for r in having])]
    if figure.agg == "distinct_firms":
        firms = {(f.get("uscc") or f.get("name")) for r in matching for f in r.firms}
        return [Value(figure.key, figure, len(firms), unit, None, [r.id for r in matching if r.firms])]
    if figure.agg == "sum":
        parts, used = [], []
        for r in matching:
            m = r.facts.get(figure.measure)
            if m is not None:
                parts.append((_number(m["value"]), m.get("approx")))
                used.append(r.id)
            elif figure.default is not None:
                parts.append((Decimal(figure.default), None))
                used.append(r.id)
        total = sum((p[0] for p in parts), Decimal(0))
        return [Value(figure.key, figure, _int_or_decimal(total, unit), unit, _marker(parts), used)]
    if figure.agg == "each":
        out = []
        for i, r in enumerate(sorted(matching, key=lambda r: (r.occurred_on, r.created_position)), start=1):
            firm = r.firms[0].get("name") if r.firms else ""
            for name in figure.measures:
                m = r.facts.get(name)
                if m is None:
                    continue
                fld = KINDS_BY_KEY[r.kind].field(name)
                out.append(Value(f"{figure.key}.{i}.{name}", figure, _int_or_decimal(_number(m["value"]), fld.unit),
                                 fld.unit, m.get("approx"), [r.id], label=f"{firm}{fld.zh}"))
        return out
    raise ValueError(f"unknown aggregation {figure.agg}")


def load_rows(db, organisation: str, year: int) -> tuple[list[Row], list[Row]]:
    live = "organisation = ? AND retracted = 0"
    rows = [Row.from_db(r) for r in db.query(
        f"SELECT * FROM records WHERE {live} AND year IN (?, ?, ?) ORDER BY created_position",
        [organisation, year - 1, year, year + 1])]
    stock_kinds = sorted({k for f in FIGURES if f.agg in STOCK_AGGS for k in f.kinds})
    stock_rows = [Row.from_db(r) for r in db.query(
        f"SELECT * FROM records WHERE {live} AND occurred_on <= ? AND kind IN ({','.join('?' * len(stock_kinds))}) "
        "ORDER BY created_position", [organisation, f"{year}-12-31", *stock_kinds])]
    return rows, stock_rows


def attach_event_ids(db, values: list[Value]) -> None:
    ids = sorted({rid for v in values for rid in v.records})
    by_record: dict[str, list[int]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for pos, rid in db.execute(
                f"SELECT position, record_id FROM events WHERE record_id IN ({','.join('?' * len(chunk))})",
                chunk).fetchall():
            by_record[rid].append(pos)
    for v in values:
        v.event_ids = sorted(p for rid in v.records for p in by_record[rid])


def _titles(rows: list[Row], quoted: bool = True) -> str:
    """Up to three titles, then 等 when there are more ("“A”、“B”、“C”等")."""
    names = [f"“{r.title}”" if quoted and "“" not in r.title else r.title for r in rows[:3]]
    return "、".join(names) + ("等" if len(rows) > 3 else "")


def _sentence(kind_key: str, rows: list[Row], values: list[Value]) -> str:
    """One sentence per kind: up to three titles, 等 N 场 (the kind's count figure), then its figures."""
    kind = KINDS_BY_KEY[kind_key]
    counts = [v for v in values if v.figure.agg == "count" and not v.figure.where and v.figure.kinds == (kind_key,)]
    phrases: list[str] = []
    for v in values:
        if v in counts or v.value in (0, Decimal(0)):
            continue
        if phrases and v.phrase.startswith("增加到"):
            phrases[-1] += v.phrase
        else:
            phrases.append(v.phrase)
    if counts:
        lead = f"开展{_titles(rows)}{kind.narrative_zh} {counts[0].text}"
    elif phrases:
        lead = _titles(rows, quoted=False)
    else:
        lead = f"开展{_titles(rows)}{kind.narrative_zh} {len(rows)} 项"
    return "，".join([lead, *phrases]) + "。"


def _each_sentence(values: list[Value], rows_by_id: dict[str, Row]) -> list[str]:
    by_record: dict[str, list[Value]] = defaultdict(list)
    for v in values:
        by_record[v.records[0]].append(v)
    out = []
    for rid, vals in by_record.items():
        r = rows_by_id[rid]
        firm = r.firms[0].get("name") if r.firms else ""
        out.append(f"{firm}{r.title}，" + "，".join(
            f"{KINDS_BY_KEY[r.kind].field(v.key.rsplit('.', 1)[1]).zh} {v.text}" for v in vals) + "。")
    return out


def build_summary(db, organisation: str, year: int, position: int, as_of: str | None = None) -> dict:
    rows, stock_rows = load_rows(db, organisation, year)
    values: list[Value] = []
    # each figure looks only at the rows of its own kinds (grouped once, not scanned 48 times)
    by_kind: dict[str, list[Row]] = defaultdict(list)
    stock_by_kind: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_kind[r.kind].append(r)
    for r in stock_rows:
        stock_by_kind[r.kind].append(r)
    for figure in FIGURES:
        own = [r for k in figure.kinds for r in by_kind[k]]
        own_stock = [r for k in figure.kinds for r in stock_by_kind[k]]
        values.extend(compute(figure, own, own_stock, year))
    for v in values:
        v.phrase = v.figure.text.format(v=v.text, firm="", title="")
    attach_event_ids(db, values)
    year_rows = [r for r in rows if r.year == year]
    rows_by_id = {r.id: r for r in rows}
    titles = {r.facts.get("section"): r.title for r in year_rows
              if r.kind == "theme_title" and r.facts.get("for_year") == year}
    subsections = []
    for n, theme in enumerate(WORK_THEMES, start=1):
        theme_rows = [r for r in year_rows if r.theme == theme and r.kind not in META_KINDS]
        theme_values = [v for v in values if v.figure.theme == theme]
        sentences = []
        for kind in KINDS:
            krows = [r for r in theme_rows if r.kind == kind.key]
            kvalues = [v for v in theme_values if kind.key in v.figure.kinds and v.figure.agg != "each"]
            if krows:
                sentences.append(_sentence(kind.key, krows, kvalues))
        sentences.extend(_each_sentence([v for v in theme_values if v.figure.agg == "each"], rows_by_id))
        title = titles.get(theme) or THEMES[theme][0]
        subsections.append({"key": theme, "title": f"（{chinese.ordinal(n)}）{title}", "text": "".join(sentences),
                            "figures": [v.as_json() for v in theme_values], "subsections": []})
    problems = [r for r in year_rows if r.kind == "problem"]
    problem_text = "\n".join(f"{chinese.ordinal(i)}是{r.title}。{r.notes}" for i, r in enumerate(problems, 1))
    next_targets = targets_for(db, organisation, year + 1, rows)
    plan_text = "\n".join(f"{chinese.ordinal(i)}是{t['text']}。{t['notes']}" for i, t in enumerate(next_targets, 1))
    live_count = len([r for r in year_rows if r.kind not in META_KINDS])
    return {
        "year": year, "organisation": organisation, "title": f"{organisation} {year} 年工作总结",
        "as_of": as_of, "position": position,
        "intro": f"{year} 年，{organisation}在台账中记录各项工作 {live_count} 项。现总结如下。",
        "sections": [
            {"key": "work", "title": "一、主要工作", "text": "", "figures": [], "subsections": subsections},
            {"key": "problems", "title": "二、存在问题", "text": problem_text, "figures": [], "subsections": []},
            {"key": "plans", "title": f"三、{year + 1} 年工作思路", "text": plan_text, "figures": [],
             "subsections": [], "targets": next_targets},
        ],
        "targets": targets_for(db, organisation, year, rows),
        "seal": None,
    }


def targets_for(db, organisation: str, year: int, rows: list[Row]) -> list[dict]:
    """Targets set for ``year`` (in any year's plan), each with the actual count of its kind that year."""
    out = []
    for r in db.query("SELECT * FROM records WHERE organisation = ? AND retracted = 0 AND kind = 'target' "
                      "ORDER BY created_position", [organisation]):
        t = Row.from_db(r)
        if t.facts.get("for_year") != year:
            continue
        kind_key = t.facts["target_kind"]
        actual = db.execute("SELECT COUNT(*) FROM records WHERE organisation = ? AND retracted = 0 AND kind = ? "
                            "AND year = ?", [organisation, kind_key, year]).fetchone()[0]
        quantity = int(t.facts["quantity"]["value"])
        unit = t.facts.get("unit") or ""
        out.append({"id": t.id, "target_kind": kind_key, "label": KINDS_BY_KEY[kind_key].zh, "quantity": quantity,
                    "unit": unit, "actual": actual, "met": actual >= quantity,
                    "text": f"{t.title} {quantity} {unit}".strip(), "notes": t.notes})
    return out


def figure_index(summary: dict) -> dict[str, dict]:
    """Every figure of a summary by key."""
    out = {}
    for section in summary["sections"]:
        for f in section["figures"]:
            out[f["key"]] = f
        for sub in section.get("subsections", []):
            for f in sub["figures"]:
                out[f["key"]] = f
    return out


def difference(before: dict, after: dict) -> list[dict]:
    """Figure by figure, what changed between two summaries of the same year."""
    a, b = figure_index(before), figure_index(after)
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        fa, fb = a.get(key), b.get(key)
        va = fa["value"] if fa else None
        vb = fb["value"] if fb else None
        if va != vb or (fa and fb and fa["approx"] != fb["approx"]):
            out.append({"key": key, "label": (fb or fa)["label"], "before": fa and fa["text"],
                        "after": fb and fb["text"], "before_value": va, "after_value": vb})
    return out
