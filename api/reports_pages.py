"""The summary page per year: the narrative with every figure linked to the events behind it.

Also each figure's page (its source events), the downloads (md, docx, xlsx, csv), a server-rendered
SVG chart of the year's actions, the summary as it stood at a moment (``?as_of=``) and the
figure-by-figure difference between two moments. No JavaScript: forms are plain GET forms.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from werkzeug.routing import BuildError

from api.auth import error_page, reader
from api.extensions import services
from api.scope import organisation_or_default
from projections.provenance import attach
from projections.render import EXTENSIONS, MEDIA_TYPES, RENDERERS, filename
from projections.summary import figure_index
from service import audit as audit_cases

bp = Blueprint("reports", __name__)

FIGURE_EVENTS_PAGE = 100  # events per page of a figure's page
DOWNLOAD_FORMATS = ("docx", "pdf", "xlsx", "csv", "md")
MONTHS = tuple(range(1, 13))
_MOMENT_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


class BadMoment(Exception):
    """A query parameter that is neither an ISO moment nor a log position."""

    def __init__(self, name: str, value: str):
        super().__init__(name, value)
        self.name = name
        self.value = value


@bp.errorhandler(BadMoment)
def bad_moment(e: BadMoment):
    return error_page(400, _('%(name)s: "%(value)s" is neither an ISO moment (such as 2021-01-05T12:00) '
                             'nor a log position (a whole number).', name=e.name, value=e.value))


# --- reading the request -----------------------------------------------------------------------

def _moment_arg(name: str) -> str | None:
    """A moment parameter as given (ISO moment or position), or None when absent or blank."""
    raw = (request.args.get(name) or "").strip()
    return raw or None


def _summary(year: int, as_of: str | None, name: str = "as_of") -> dict:
    try:
        return services().reports.summary(year, organisation_or_default(request.args.get("organisation")), as_of)
    except (ValueError, OverflowError):
        raise BadMoment(name, as_of or "") from None


def _local_input(value: str | None) -> str:
    """A value for a datetime-local input: the given moment's YYYY-MM-DDTHH:MM, else empty."""
    if value and _MOMENT_PREFIX.match(value):
        return value[:16]
    return ""


# --- catalogue labels (Chinese, from the schemas) ------------------------------------------------

@lru_cache(maxsize=1)
def _labels() -> tuple[dict[str, str], dict[str, str]]:
    """(theme key → Chinese name, kind key → Chinese name), read once from the catalogue."""
    from service.schemas import catalogue

    themes: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for k in catalogue():
        themes.setdefault(k["theme"], k["theme_zh"])
        kinds[k["kind"]] = k["zh"]
    return themes, kinds


def theme_name(key: str) -> str:
    return _labels()[0].get(key, key)


def kind_name(key: str | None) -> str:
    return _labels()[1].get(key or "", key or "")


# --- the narrative with its figures linked -------------------------------------------------------

def _figures_of(section: dict) -> list[dict]:
    return [f for f in (section.get("figures") or []) if isinstance(f, dict)]


def _is_free(spans: list[tuple[int, int, dict]], start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e, _f in spans)


def _bounded(text: str, start: int) -> bool:
    """An occurrence that is not the tail of a longer number (so "3 家" is not found in "23 家")."""
    return start == 0 or not (text[start - 1].isdigit() or text[start - 1] in ".,")


def _find(text: str, needle: str, spans: list, offset_in_needle: int = 0, length: int | None = None) -> int | None:
    """The start of the first free, bounded occurrence of ``needle`` (the span checked is the figure's part)."""
    length = len(needle) if length is None else length
    start = text.find(needle)
    while start >= 0:
        at = start + offset_in_needle
        if _bounded(text, at) and _is_free(spans, at, at + length):
            return at
        start = text.find(needle, start + 1)
    return None


def figure_spans(text: str, figures: list[dict]) -> list[tuple[int, int, dict]]:
    """Where each figure's text stands in the narrative: (start, end, figure), in text order.

    A figure is first looked for through its phrase (the sentence part it was written as, which
    tells apart two figures of the same text such as two "3 家"), then by its text alone.
    """
    spans: list[tuple[int, int, dict]] = []
    pending = []
    for f in figures:
        shown = f.get("text") or ""
        phrase = f.get("phrase") or ""
        at = None
        if shown and phrase and shown in phrase:
            at = _find(text, phrase, spans, phrase.index(shown), len(shown))
        if at is None:
            pending.append(f)
        else:
            spans.append((at, at + len(shown), f))
    for f in pending:
        shown = f.get("text") or ""
        if not shown:
            continue
        at = _find(text, shown, spans)
        if at is not None:
            spans.append((at, at + len(shown), f))
    return sorted(spans, key=lambda s: s[0])


def linked_paragraphs(text: str, figures: list[dict], year: int, as_of: str | None) -> list[Markup]:
    """The text's paragraphs as HTML, every figure's text a link to its figure page.

    Everything from the ledger is escaped; only the link markup itself is trusted.
    """
    spans = figure_spans(text, figures)
    out: list[Markup] = []
    cursor = 0
    for paragraph in text.split("\n"):
        start, end = cursor, cursor + len(paragraph)
        cursor = end + 1
        parts: list[Markup] = []
        at = start
        for s, e, f in spans:
            if s < start or e > end:
                continue
            parts.append(escape(text[at:s]))
            parts.append(Markup('<a class="figure-link" href="{}" title="{}" data-figure="{}">{}</a>').format(
                figure_url(year, f["key"], as_of), f.get("label") or f["key"], f["key"], text[s:e]))
            at = e
        parts.append(escape(text[at:end]))
        html = Markup("").join(parts)
        if paragraph.strip():
            out.append(html)
    return out


def figure_url(year: int, key: str, as_of: str | None = None, organisation: str | None = None) -> str:
    """A figure's page; ``organisation``: a unit below's share of a roll-up's figure (drill-down)."""
    args = {"as_of": as_of} if as_of else {}
    if organisation or request.args.get("organisation"):  # a unit's summary (a city's roll-up): its figures too
        args["organisation"] = organisation or request.args["organisation"]
    return url_for("reports.figure_page", year=year, key=key, **args)


def record_url(record_id: str | None) -> str | None:
    if not record_id:
        return None
    try:
        return url_for("web.record", record_id=record_id)
    except BuildError:
        return "/records/" + quote(str(record_id), safe="")


@dataclass
class Block:
    """One heading of the page: its title, paragraphs (HTML) and figures."""

    key: str
    title: str
    depth: int
    paragraphs: list[Markup]
    figures: list[dict]
    targets: list[dict]


def blocks(summary: dict, as_of: str | None) -> list[Block]:
    year = summary["year"]
    out: list[Block] = []

    def walk(sections: list[dict], depth: int) -> None:
        for section in sections:
            if not isinstance(section, dict):
                continue
            figures = _figures_of(section)
            out.append(Block(section.get("key") or "", section.get("title") or "", depth,
                             linked_paragraphs(section.get("text") or "", figures, year, as_of), figures,
                             [t for t in (section.get("targets") or []) if isinstance(t, dict)]))
            walk(section.get("subsections") or [], depth + 1)

    walk(summary.get("sections") or [], 1)
    return out


# --- the chart ------------------------------------------------------------------------------------

def month_chart(months: dict) -> dict:
    """Geometry of a vertical bar chart of actions per month (an SVG drawn by the template)."""
    width, height, top, bottom, left = 640, 240, 24, 30, 12
    slot = (width - 2 * left) / 12
    bar = slot * 0.62
    peak = max([int(months.get(m, 0) or 0) for m in MONTHS] + [1])
    plot = height - top - bottom
    bars = []
    for i, m in enumerate(MONTHS):
        n = int(months.get(m, months.get(str(m), 0)) or 0)
        h = round(plot * n / peak, 1)
        x = round(left + i * slot + (slot - bar) / 2, 1)
        bars.append({"month": m, "value": n, "x": x, "y": round(top + plot - h, 1), "w": round(bar, 1), "h": h,
                     "cx": round(x + bar / 2, 1)})
    return {"width": width, "height": height, "base": top + plot, "label_y": height - 10, "bars": bars}


def theme_chart(themes: dict) -> dict:
    """Geometry of a horizontal bar chart of actions per theme (names in Chinese)."""
    rows = sorted(((theme_name(k), int(n or 0), k) for k, n in themes.items()), key=lambda r: (-r[1], r[0]))
    width, row_h, left, right = 640, 28, 290, 50
    peak = max([n for _, n, _k in rows] + [1])
    bars = []
    for i, (name, n, key) in enumerate(rows):
        w = round((width - left - right) * n / peak, 1)
        y = 8 + i * row_h
        bars.append({"theme": key, "name": name, "value": n, "x": left, "y": y, "w": w, "h": row_h - 10,
                     "ty": y + (row_h - 10) / 2 + 5})
    return {"width": width, "height": 16 + len(rows) * row_h, "left": left, "bars": bars}


# --- pages ----------------------------------------------------------------------------------------

@bp.get("/summary/<int:year>")
@reader
def summary_page(year: int):
    as_of = _moment_arg("as_of")
    summary = _summary(year, as_of)
    reports = services().reports
    activity = reports.activity(year, summary["organisation"])
    next_targets = []
    for section in summary.get("sections") or []:
        if section.get("key") == "plans":
            next_targets = [t for t in (section.get("targets") or []) if isinstance(t, dict)]
    downloads = [(fmt, url_for("reports.download", year=year, fmt=fmt, **({"as_of": as_of} if as_of else {})))
                 for fmt in DOWNLOAD_FORMATS]
    return render_template(
        "reports/summary.html", summary=summary, year=year, as_of=as_of, blocks=blocks(summary, as_of),
        targets=[t for t in (summary.get("targets") or []) if isinstance(t, dict)], next_targets=next_targets,
        downloads=downloads, months=month_chart(activity["months"]), themes=theme_chart(activity["themes"]),
        activity_total=sum(activity["months"].values()), as_of_input=_local_input(as_of),
        figure_url=figure_url)


@bp.get("/summary/<int:year>/figures/<key>")
@reader
def figure_page(year: int, key: str):
    as_of = _moment_arg("as_of")
    summary = _summary(year, as_of)
    figure = figure_index(summary).get(key)
    if figure is None:
        return error_page(404, _('The %(year)s summary has no figure "%(key)s".', year=year, key=key))
    # the figure's events, a page at a time (the summary carries only their count and digest)
    page = request.args.get("page", type=int) or 1
    listed = services().reports.figure_events(year, key, summary.get("organisation") or None,
                                              summary["position"] if as_of else None, page=max(page, 1),
                                              per_page=FIGURE_EVENTS_PAGE)
    listed = listed or {"events": [], "total": 0, "page": 1, "pages": 1}
    events = listed["events"]
    section = next((b.title for b in blocks(summary, as_of) if any(f.get("key") == key for f in b.figures)), None)
    evidence = services().reports.evidence.counts(e["record_id"] for e in events)  # 佐证材料 per record

    def page_url(n: int) -> str:
        return url_for("reports.figure_page", year=year, key=key, page=n, **({"as_of": as_of} if as_of else {}))

    return render_template("reports/figure.html", summary=summary, year=year, as_of=as_of, figure=figure,
                           section=section, events=events, record_url=record_url, kind_name=kind_name,
                           evidence=evidence, total=listed["total"], page=listed["page"], pages=listed["pages"],
                           page_url=page_url)


@bp.get("/summary/<int:year>/download.<fmt>")
@reader
def download(year: int, fmt: str):
    if fmt not in RENDERERS:
        return error_page(404, _('No download in the format "%(fmt)s".', fmt=fmt))
    summary = _summary(year, _moment_arg("as_of"))
    if fmt in ("json", "xlsx", "docx"):  # what it was made from, for `taizhang verify-summary`
        summary = attach(summary, audit_cases.export_checkpoint(services()))
    data = RENDERERS[fmt](summary)
    body = data.encode("utf-8") if isinstance(data, str) else data
    response = Response(body, content_type=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = attachment(filename(summary, fmt), f"summary-{year}{EXTENSIONS[fmt]}")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def attachment(name: str, fallback: str) -> str:
    """A Content-Disposition with an ASCII fallback name and the real (Chinese) one as UTF-8 (RFC 6266)."""
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{quote(name, safe="")}'


@bp.get("/summary/<int:year>/diff")
@reader
def diff_page(year: int):
    before = _moment_arg("before")
    after = _moment_arg("after")
    if before is None:
        return error_page(400, _("before: give the moment (or log position) to compare from."))
    reports = services().reports
    for name, value in (("before", before), ("after", after)):
        if value is not None:
            try:
                reports.resolve_position(value)
            except (ValueError, OverflowError):
                raise BadMoment(name, value) from None
    result = reports.difference(year, before, after, organisation_or_default(request.args.get("organisation")))
    return render_template("reports/diff.html", year=year, result=result, before=before, after=after,
                           before_input=_local_input(before), after_input=_local_input(after),
                           figure_url=figure_url)
