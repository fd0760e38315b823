"""The year-end summary (工作总结): a template's figures folded from records, and the narrative around them.

The template (domain/template.py) is the one the organisation used for the year, as it stood at the
summary's position (projections/templates.py reads it from the view): its sections give the order
and titles, its kinds the sentences, its figures the numbers and their wording. Nothing here holds
one office's words.

Shape (the JSON contract, documented in docs/figures.md):
{year, organisation, title, template, as_of, position, intro, sections: [{key, title, text, figures:
 [{key, label, value, unit, approx, text, event_count, event_digest}], subsections: [...], targets?}], targets}
A figure's events are not in the body: ``event_count`` and ``event_digest`` (projections/provenance.py)
name them, and ``GET /api/summary/{year}/figures/{key}/events`` lists them (projections/figure_state.py).
Sections with nothing in them are left out of the text; their figures stay in the figure table (the
figures of the parent section). Zero figures are never written into the text.
"""
from __future__ import annotations

import bisect
import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.template import MONEY_UNITS, Figure, Template
from projections import chinese, provenance
from projections import org_units as unit_views
from projections.templates import template_for

STOCK_AGGS = ("stock_sum", "stock_count")
DERIVED_AGGS = ("change", "share")
INCOMPLETE = "据不完全统计，"


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
    organisation: str = ""

    @classmethod
    def from_db(cls, r: dict) -> "Row":
        return cls(r["id"], r["kind"], r["theme"], r["subject_id"], r["occurred_on"], r["year"], r["title"],
                   r["notes"] or "", json.loads(r["firms"]), json.loads(r["facts"]), r["created_position"],
                   r["organisation"])

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
    parts: list[dict] = field(default_factory=list)  # a roll-up's share of each child unit
    n: int | None = None  # records behind it, when ``records`` is not listed (the figure state)
    events: int = 0  # how many events are behind it, and their multiset hash (projections/provenance.py)
    acc: int = 0

    @property
    def record_count(self) -> int:
        return len(self.records) if self.n is None else self.n

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        return chinese.measure(self.value, self.unit, self.approx)

    @property
    def is_zero(self) -> bool:
        return self.value is None or Decimal(str(self.value)) == 0

    def as_json(self) -> dict:
        return {"key": self.key, "label": self.label or self.figure.label_zh, "label_en": self.figure.label_en,
                "value": None if self.value is None else str(self.value), "unit": self.unit, "approx": self.approx,
                "text": self.text, "phrase": self.phrase, "event_count": self.events,
                "event_digest": provenance.digest_of_sum(self.acc),
                **({"parts": self.parts} if self.parts else {})}


def _number(measure_value: Any) -> Decimal:
    return Decimal(str(measure_value))


def _marker(parts: list[tuple[Decimal, str | None]]) -> str | None:
    """A sum is approximate when any part is: it takes the marker of its largest approximate part."""
    approx = [(v, m) for v, m in parts if m]
    return max(approx, key=lambda p: p[0])[1] if approx else None


def _matches(figure: Figure, row: Row) -> bool:
    if row.kind not in figure.kinds:
        return False
    for name, wanted in figure.where.items():
        value = row.get(name)
        if isinstance(wanted, list):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


def _int_or_decimal(total: Decimal, unit: str) -> Any:
    if unit == "元" or total != total.to_integral_value():
        return total
    return int(total)


def _named_parts(figure: Figure, row: Row) -> list[tuple[Decimal, str | None]]:
    """The row's named measures called ``figure.measure_name``, in the figure's unit (元/万元/亿元 convert)."""
    wanted = figure.measure_name
    entries = []
    for value in row.facts.values():
        if isinstance(value, list):
            entries.extend(m for m in value if isinstance(m, dict) and m.get("name") == wanted)
    if row.facts.get("measure_name") == wanted and isinstance(row.facts.get("measure"), dict):  # the older single one
        entries.append({"value": row.facts["measure"]["value"], "unit": row.facts.get("unit") or "",
                        "approx": row.facts["measure"].get("approx")})
    parts = []
    for m in entries:
        number, unit = _number(m["value"]), (m.get("unit") or "").strip()
        if unit in MONEY_UNITS and figure.unit in MONEY_UNITS:
            number = number * MONEY_UNITS[unit] / MONEY_UNITS[figure.unit]
        elif unit and figure.unit and unit != figure.unit:
            continue  # 个 and 家 do not add up
        parts.append((number, m.get("approx")))
    return parts


def compute(figure: Figure, rows: list[Row], stock_rows: list[Row], year: int,
            kinds_by_key: dict | None = None) -> list[Value]:
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
    if figure.agg == "distinct_values":
        having = [r for r in matching if r.get(figure.field) not in (None, "")]
        values = {json.dumps(r.get(figure.field), sort_keys=True, ensure_ascii=False) for r in having}
        return [Value(figure.key, figure, len(values), unit, None, [r.id for r in having])]
    if figure.agg == "sum":
        parts, used = [], []
        for r in matching:
            if figure.measure_name:
                own = _named_parts(figure, r)
                if own:
                    parts.extend(own)
                    used.append(r.id)
                continue
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
                fld = (kinds_by_key or {})[r.kind].field(name)
                out.append(Value(f"{figure.key}.{i}.{name}", figure, _int_or_decimal(_number(m["value"]), fld.unit or ""),
                                 fld.unit or "", m.get("approx"), [r.id], label=f"{firm}{fld.zh}"))
        return out
    raise ValueError(f"unknown aggregation {figure.agg}")


def derive(figure: Figure, values: dict[str, Value], previous: dict[str, Value]) -> Value:
    """A figure over other figures: the change on last year of ``of``, or ``of`` as a share of ``over``."""
    base = values[figure.of]
    if figure.agg == "change":
        before = previous.get(figure.of)
        records = base.records + (before.records if before else [])
        if before is None or before.value is None or base.value is None:
            return Value(figure.key, figure, None, figure.unit or base.unit, None, records)
        now, then = _number(base.value), _number(before.value)
        if figure.mode == "pct":
            if then == 0:
                return Value(figure.key, figure, None, "%", None, records)
            pct = ((now - then) * 100 / then).quantize(Decimal("0.1"), ROUND_HALF_UP)
            return Value(figure.key, figure, pct, "%", None, records)
        return Value(figure.key, figure, _int_or_decimal(now - then, base.unit), figure.unit or base.unit,
                     base.approx or before.approx, records)
    over = values[figure.over]
    records = base.records + over.records
    if over.value is None or _number(over.value) == 0 or base.value is None:
        return Value(figure.key, figure, None, "%", None, records)
    pct = (_number(base.value) * 100 / _number(over.value)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return Value(figure.key, figure, pct, "%", None, records)


def load_rows(db, organisations: list[str], year: int, template: Template) -> tuple[list[Row], list[Row]]:
    """The live rows of the organisations (a unit and, for a roll-up, every unit below it)."""
    marks = ",".join("?" * len(organisations))
    live = f"organisation IN ({marks}) AND retracted = 0"
    # the year, the two before it (a change on last year of a figure of the year before) and the next (targets)
    rows = [Row.from_db(r) for r in db.query(
        f"SELECT * FROM records WHERE {live} AND year BETWEEN ? AND ? ORDER BY created_position",
        [*organisations, year - 2, year + 1])]
    stock_kinds = sorted({k for f in template.figures if f.agg in STOCK_AGGS for k in f.kinds})
    stock_rows = [Row.from_db(r) for r in db.query(
        f"SELECT * FROM records WHERE {live} AND occurred_on <= ? AND kind IN ({','.join('?' * len(stock_kinds))}) "
        "ORDER BY created_position", [*organisations, f"{year}-12-31", *stock_kinds])] if stock_kinds else []
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
        v.events, v.acc = len(v.event_ids), provenance.event_sum(v.event_ids)


def all_values(template: Template, rows: list[Row], stock_rows: list[Row], year: int) -> list[Value]:
    """Every figure of the template for the year: the declared ones, then those over other figures."""
    by_kind: dict[str, list[Row]] = defaultdict(list)
    stock_by_kind: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_kind[r.kind].append(r)
    for r in stock_rows:
        stock_by_kind[r.kind].append(r)
    kinds = template.kinds_by_key
    values: list[Value] = []
    current: dict[str, Value] = {}
    previous: dict[str, Value] = {}
    for figure in template.figures:
        if figure.agg in DERIVED_AGGS:
            continue
        own = [r for k in figure.kinds for r in by_kind[k]]
        own_stock = [r for k in figure.kinds for r in stock_by_kind[k]]
        got = compute(figure, own, own_stock, year, kinds)
        values.extend(got)
        if len(got) == 1 and figure.agg != "each":
            current[figure.key] = got[0]
            if any(f.agg == "change" and f.of == figure.key for f in template.figures):
                previous[figure.key] = compute(figure, own, own_stock, year - 1, kinds)[0]
    derived = {}
    for figure in template.figures:
        if figure.agg in DERIVED_AGGS and figure.of in current and (figure.agg == "change" or figure.over in current):
            derived[figure.key] = derive(figure, current, previous)
    order = {f.key: i for i, f in enumerate(template.figures)}
    values.extend(derived.values())
    values.sort(key=lambda v: order[v.figure.key])
    for v in values:
        v.phrase = wording(v, template)
    return values


def wording(v: Value, template: Template, titles: str = "") -> str:
    phrase = v.figure.text.format(v=v.text, firm="", title="", level=template.level, titles=titles)
    return (INCOMPLETE + phrase) if v.figure.incomplete else phrase


# --- the narrative ------------------------------------------------------------------------------


def _titles(rows: list[Row], quoted: bool = True) -> str:
    """Up to three titles, then 等 when there are more ("“A”、“B”、“C”等")."""
    names = [f"“{r.title}”" if quoted and "“" not in r.title else r.title for r in rows[:3]]
    return "、".join(names) + ("等" if len(rows) > 3 else "")


def _kind_sentence(kind, rows: list[Row], values: list[Value], template: Template) -> str | None:
    """One kind's sentence: its figures' wording (its plain count first), joined; a figure's
    ``{titles}`` names up to three of the records. None when none of its figures has a value: the
    kind then joins the section's closing sentence."""
    live = [v for v in values if not v.is_zero]
    live.sort(key=lambda v: not (v.figure.agg == "count" and not v.figure.where))
    phrases: list[str] = []
    for v in live:
        phrase = wording(v, template, _titles(rows))
        if phrases and phrase.startswith("增加到"):
            phrases[-1] += phrase
        else:
            phrases.append(phrase)
    return "，".join(phrases) + "。" if phrases else None


def _others_sentence(kinds_rows: list[tuple[Any, list[Row]]]) -> str:
    """The kinds without a figure of their own, in one sentence: 此外，还开展了税企互动 2 次、法律服务 1 次。"""
    if not kinds_rows:
        return ""
    parts = [f"{kind.narrative_zh} {len(rows)} {kind.counter}" for kind, rows in kinds_rows]
    return "此外，还开展了" + "、".join(parts) + "。"


def _each_sentence(values: list[Value], rows_by_id: dict[str, Row], kinds: dict) -> list[str]:
    by_record: dict[str, list[Value]] = defaultdict(list)
    for v in values:
        by_record[v.records[0]].append(v)
    out = []
    for rid, vals in by_record.items():
        r = rows_by_id[rid]
        firm = r.firms[0].get("name") if r.firms else ""
        out.append(f"{firm}{r.title}，" + "，".join(
            f"{kinds[r.kind].field(v.key.rsplit('.', 1)[1]).zh} {v.text}" for v in vals) + "。")
    return out


def section_text(template: Template, section_key: str, rows: list[Row], values: list[Value],
                 rows_by_id: dict[str, Row], by_kind: dict | None = None) -> str:
    """The section's narrative; ``by_kind`` (the figure state's per-kind samples) stands in for ``rows``."""
    kinds = template.kinds_by_key
    sentences, others = [], []
    single = [v for v in values if len(v.figure.kinds) == 1 and v.figure.agg not in ("each", *DERIVED_AGGS)]
    for kind in template.kinds:
        krows = [r for r in rows if r.kind == kind.key] if by_kind is None else by_kind.get(kind.key, [])
        if not krows:
            continue
        sentence = _kind_sentence(kind, krows, [v for v in single if v.figure.kinds == (kind.key,)], template)
        if sentence:
            sentences.append(sentence)
        else:
            others.append((kind, krows))
    # figures over several kinds at once, and figures over other figures, each its own sentence
    for v in values:
        if v in single or v.figure.agg == "each" or v.is_zero:
            continue
        sentences.append(v.phrase + "。")
    sentences.extend(_each_sentence([v for v in values if v.figure.agg == "each"], rows_by_id, kinds))
    sentences.append(_others_sentence(others))
    return "".join(sentences)


def scope_of(db, organisation: str, include_children: bool | None) -> tuple[dict | None, list[str], list[dict]]:
    """(the organisation's unit or None, the organisations the summary covers, the child units shown as
    parts). Above 区县 a unit's summary includes everything below it unless ``include_children`` is False."""
    unit = unit_views.unit_named(db, organisation)
    if unit is None:
        return None, [organisation], []
    rollup = include_children if include_children is not None else unit["level"] != "district"
    if not rollup:
        own = [r[0] for r in db.execute("SELECT name FROM org_unit_names WHERE code = ?", [unit["code"]])]
        return unit, own or [organisation], []
    return unit, unit_views.names_below(db, unit["code"]), unit_views.children(db, unit["code"])


def _parts(db, template: Template, unit: dict, kids: list[dict], rows: list[Row], stock_rows: list[Row],
           year: int, values: list[Value]) -> None:
    """Per child unit (and the unit's own work), each figure's share: ``value.parts``."""
    groups = [(k["name"], k["code"], set(unit_views.names_below(db, k["code"]))) for k in kids]
    own = {r[0] for r in db.execute("SELECT name FROM org_unit_names WHERE code = ?", [unit["code"]])}
    if any(r.organisation in own for r in rows):
        groups.insert(0, (unit["name"] + "（本级）", unit["code"], own))
    by_key = {v.key: v for v in values}
    for name, code, names in groups:
        sub = all_values(template, [r for r in rows if r.organisation in names],
                         [r for r in stock_rows if r.organisation in names], year)
        for v in sub:
            if v.key in by_key:
                by_key[v.key].parts.append({"organisation": name, "code": code, "value": None if v.value is None
                                            else str(v.value), "text": v.text, "records": v.record_count})


def _state(db, template: Template, organisations: list[str], year: int) -> bool:
    """Make the figure state the summary reads (projections/figure_state.py); False when the view file
    cannot be written (read-only, disk full): the summary is then computed from the rows."""
    from projections import figure_state

    try:
        figure_state.ensure(db, template, organisations, year)
    except sqlite3.OperationalError:
        return False
    return True


def _parts_from_state(db, template: Template, unit: dict, kids: list[dict], year: int, values: list[Value]) -> None:
    """``_parts`` over the figure state: each group's figures from its units' states."""
    from projections import figure_state

    groups = [(k["name"], k["code"], unit_views.names_below(db, k["code"])) for k in kids]
    own = [r[0] for r in db.execute("SELECT name FROM org_unit_names WHERE code = ?", [unit["code"]])]
    if own and db.execute(f"SELECT 1 FROM records WHERE organisation IN ({','.join('?' * len(own))}) AND retracted = 0 "
                          "AND year BETWEEN ? AND ? LIMIT 1", [*own, year - 2, year + 1]).fetchone():
        groups.insert(0, (unit["name"] + "（本级）", unit["code"], own))
    by_key = {v.key: v for v in values}
    for name, code, names in groups:
        sub = figure_state.values(db, template, names, year)[0] if names else []
        for v in sub:
            if v.key in by_key:
                by_key[v.key].parts.append({"organisation": name, "code": code, "value": None if v.value is None
                                            else str(v.value), "text": v.text, "records": v.record_count})


def build_summary(db, organisation: str, year: int, position: int, as_of: str | None = None,
                  template: Template | None = None, include_children: bool | None = None) -> dict:
    """The summary of ``organisation``'s ``year`` from the view rows in ``db`` (with the template the
    organisation used for the year as the view holds it, unless one is given: the editor's preview).
    A unit above 区县 rolls up every unit below it, each figure with its per-child parts."""
    given = template is not None
    template = template or template_for(db, organisation, year)
    unit, organisations, kids = scope_of(db, organisation, include_children)
    if unit is not None:
        template = replace(template, level=unit_views.level_word(unit["level"]))
    meta_kinds = set(template.role_kinds("problems")) | set(template.role_kinds("plans"))
    if not given and _state(db, template, organisations, year):  # the figure state, kept by the fold
        from projections import figure_state

        values, rows_by_id = figure_state.values(db, template, organisations, year)
        if kids:
            _parts_from_state(db, template, unit, kids, year, values)
        theme_rows = figure_state.kind_rows(db, organisations, year, ["theme_title"])
        problems = figure_state.kind_rows(db, organisations, year, template.role_kinds("problems"))
        live_count = figure_state.live_count(db, organisations, year, meta_kinds)
        year_rows = []

        by_section = figure_state.kind_samples(db, template, organisations, year)

        def samples(key: str) -> dict | None:
            return by_section.get(key, {})
    else:  # from the rows (the editor's preview, a read-only view file): the oracle the state is tested against
        rows, stock_rows = load_rows(db, organisations, year, template)
        values = all_values(template, rows, stock_rows, year)
        if kids:
            _parts(db, template, unit, kids, rows, stock_rows, year, values)
        attach_event_ids(db, values)
        year_rows = [r for r in rows if r.year == year]
        rows_by_id = {r.id: r for r in rows}
        theme_rows = [r for r in year_rows if r.kind == "theme_title"]
        problems = [r for r in year_rows if r.kind in template.role_kinds("problems")]
        live_count = len([r for r in year_rows if r.kind not in meta_kinds])

        def samples(key: str) -> dict | None:
            return None
    titles = {r.facts.get("section"): r.title for r in theme_rows if r.facts.get("for_year") == year}
    work_keys = [s.key for s in template.work_sections]
    home = {k.key: k.theme for k in template.kinds}
    subsections, hidden_figures = [], []
    for section in template.work_sections:
        # a record is filed under its own theme when the template has it, else under its kind's section
        srows = [r for r in year_rows if r.kind not in meta_kinds and r.kind in home
                 and (r.theme if r.theme in work_keys else home[r.kind]) == section.key]
        svalues = [v for v in values if v.figure.theme == section.key]
        text = section_text(template, section.key, srows, svalues, rows_by_id, samples(section.key))
        if not text:
            hidden_figures.extend(svalues)  # nothing to tell: the section is left out, its figures kept
            continue
        n = len(subsections) + 1
        title = titles.get(section.key) or section.title
        subsections.append({"key": section.key, "title": f"（{chinese.ordinal(n)}）{title}", "text": text,
                            "figures": [v.as_json() for v in svalues], "subsections": []})
    problem_text = "\n".join(f"{chinese.ordinal(i)}是{r.title}。{r.notes}" for i, r in enumerate(problems, 1))
    next_targets = targets_for(db, organisation, year + 1, template)
    plan_text = "\n".join(f"{chinese.ordinal(i)}是{t['text']}。{t['notes']}" for i, t in enumerate(next_targets, 1))
    parts = [("work", template.wording("work", year=year), "", subsections, {}),
             ("problems", template.wording("problems", year=year), problem_text, [], {}),
             ("plans", template.wording("plans", year=year, next_year=year + 1), plan_text, [],
              {"targets": next_targets})]
    sections = []
    for key, title, text, subs, extra in parts:
        figures = [v.as_json() for v in hidden_figures] if key == "work" else []
        if not text and not subs and not figures:
            continue
        sections.append({"key": key, "title": f"{chinese.ordinal(len(sections) + 1)}、{title}", "text": text,
                         "figures": figures, "subsections": subs, **extra})
    return {
        "year": year, "organisation": organisation,
        "title": template.wording("title", organisation=organisation, year=year),
        "template": {"name": template.name, "digest": template.digest},
        "unit": {**unit, "includes": organisations} if unit else None,
        "as_of": as_of, "position": position,
        "intro": template.wording("intro", organisation=organisation, year=year, count=live_count),
        "sections": sections,
        "targets": targets_for(db, organisation, year, template),
        "seal": None,
    }


def targets_for(db, organisation: str, year: int, template: Template) -> list[dict]:
    """Targets set for ``year`` (in any year's plan), each with the actual count of its kind that year."""
    out = []
    kinds = template.kinds_by_key
    for r in db.query("SELECT * FROM records WHERE organisation = ? AND retracted = 0 AND kind = 'target' "
                      "ORDER BY created_position", [organisation]):
        t = Row.from_db(r)
        if t.facts.get("for_year") != year:
            continue
        kind_key = t.facts["target_kind"]
        actual = _kept_count(db, organisation, year, kind_key)
        actual = actual if actual is not None else db.execute("SELECT COUNT(*) FROM records WHERE organisation = ? AND retracted = 0 AND kind = ? "
                            "AND year = ?", [organisation, kind_key, year]).fetchone()[0]
        quantity = int(t.facts["quantity"]["value"])
        unit = t.facts.get("unit") or ""
        label = kinds[kind_key].zh if kind_key in kinds else kind_key
        out.append({"id": t.id, "target_kind": kind_key, "label": label, "quantity": quantity,
                    "unit": unit, "actual": actual, "met": actual >= quantity,
                    "text": f"{t.title} {quantity} {unit}".strip(), "notes": t.notes})
    return out


def figure_events(db, organisation: str, year: int, key: str, include_children: bool | None = None,
                  offset: int = 0, limit: int = 50, after: int | None = None) -> tuple[int, list[dict]] | None:
    """(how many, one page in log order) of the events behind figure ``key`` of the summary; None: no such
    figure. ``after``: the page starts after that position instead of at ``offset``; ``limit`` -1: all. From the figure
    state; from the rows when the view file cannot be written."""
    from projections import figure_state

    template = template_for(db, organisation, year)
    _, organisations, _ = scope_of(db, organisation, include_children)
    try:
        return figure_state.figure_events(db, template, organisations, year, key, offset, limit, after)
    except sqlite3.OperationalError:
        pass
    rows, stock_rows = load_rows(db, organisations, year, template)
    values = {v.key: v for v in all_values(template, rows, stock_rows, year)}
    if key not in values:
        return None
    attach_event_ids(db, [values[key]])
    ids = values[key].event_ids
    if after is not None:
        offset = bisect.bisect_right(ids, after)
    page = ids[offset:] if limit < 0 else ids[offset:offset + limit]
    by_position = {r["position"]: r for r in db.query(
        f"SELECT * FROM events WHERE position IN ({','.join('?' * len(page))})", page)} if page else {}
    return len(ids), [by_position[p] for p in page]


def _kept_count(db, organisation: str, year: int, kind: str) -> int | None:
    from projections import figure_state

    try:
        return figure_state.kind_count(db, organisation, year, kind)
    except sqlite3.OperationalError:  # a view file made before the figure state
        return None


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
