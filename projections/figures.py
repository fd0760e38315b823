"""The figures of the built-in template, and docs/figures.md that lists them.

Figures are declared in a template (domain/template.py; the built-in one is
domain/templates/default.yaml): which records each draws on (kinds and field filters), how it
aggregates them, its unit and its Chinese wording. The engine that computes them is
projections/summary.py. Nothing here holds a number of the summary.
"""
from __future__ import annotations

from domain.template import Figure, Template, default_template

__all__ = ["Figure", "FIGURES", "FIGURES_BY_KEY", "AGG_WORDS", "figures_markdown"]

FIGURES: tuple[Figure, ...] = default_template().figures
FIGURES_BY_KEY = {f.key: f for f in FIGURES}


AGG_WORDS = {
    "count": "count of live records of the year",
    "count_with": "count of live records of the year that carry the measure",
    "sum": "sum of the measure over the year's live records",
    "distinct_firms": "distinct firms (by 统一社会信用代码, else name) over the year's live records",
    "stock_sum": "at year end, per chamber the latest value of the measure, summed",
    "stock_count": "at year end, enterprises with a matching record on or before that day",
    "each": "one figure per live record of the year, for each measure",
    "distinct_values": "distinct values of the field over the year's live records",
    "change": "the figure `of` this year minus the year before (mode pct: in %)",
    "share": "the figure `of` as a percentage of the figure `over`",
}


def figures_markdown(template: Template | None = None) -> str:
    """docs/figures.md: every figure key with what it draws on (generated; a test keeps it current)."""
    lines = [
        "# Figures of the year-end summary",
        "",
        "Generated from the built-in template `domain/templates/default.yaml`",
        "(`python -m projections.figures > docs/figures.md`); an office's own template declares its own.",
        "Keys are stable: the JSON summary, the xlsx/csv downloads and the figure pages use them.",
        "",
        "## The JSON contract of a figure",
        "",
        "`{key, label, label_en, value, unit, approx, text, phrase, event_count, event_digest, parts?}` —",
        "`value` is text (a whole number or a decimal; null when there is none), `approx` the marker of an",
        "approximate value (余, 多, 近 …), `parts` a roll-up's share of each unit below it.",
        "The events behind a figure are not in the summary: `event_count` says how many there are and",
        "`event_digest` names the set. The digest is a multiset hash of their log positions: each position `p`",
        "maps to the 2048-bit number SHAKE-256(decimal text of `p`, 256 bytes); the numbers are added modulo",
        "2^2048 (a position counted twice, as in a change over a stock, adds twice) and the sum, as 256 bytes",
        "big-endian, is hashed with SHA-256 (hex). It is what exports carry as provenance",
        "(`taizhang-provenance/2`, checked by `taizhang verify-summary`).",
        "",
        "The events themselves: `GET /api/summary/{year}/figures/{key}/events?page=&per_page=` (at most 500",
        "a page; `organisation`, `as_of` and `include_children` as for the summary) answers",
        "`{year, key, organisation, as_of, position, page, per_page, pages, total, after, next_after, events:",
        "[{position, record_id, event, kind, recorded_at, actor, reason, occurred_on}]}` in log order, `total`",
        "being the figure's `event_count`. To walk every page, pass the last page's `next_after` as `after`",
        "(`null` on the last page): the page then starts after that position, without counting the pages",
        "before it (`page` is `null` in such an answer). The figure page (`/summary/{year}/figures/{key}`)",
        "lists them a page at a time.",
        "",
        "## The figures",
        "",
        "| key | 指标 | figure | kinds | filter | aggregation | measure | unit |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in (template or default_template()).figures:
        key = f"{f.key}.<n>.<{'|'.join(f.measures)}>" if f.agg == "each" else f.key
        where = ", ".join(f"{k}={v}" for k, v in f.where.items()) or "—"
        agg = AGG_WORDS[f.agg] + (" (the year before)" if f.year_offset == -1 else "")
        measure = f.measure or ("/".join(f.measures) if f.measures else "—")
        if f.default is not None:
            measure += f" (default {f.default})"
        lines.append(f"| `{key}` | {f.label_zh} | {f.label_en} | {', '.join(f.kinds)} | {where} | {agg} | "
                     f"{measure} | {f.unit or '—'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(figures_markdown(), end="")
