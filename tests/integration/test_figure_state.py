"""The figure state kept by the fold (projections/figure_state.py) gives the summary the recomputation from the
year's rows gives (projections/summary.py's compute()/all_values(), the oracle) — over random sequences of
logs, corrections, retractions, template revisions and template choices, with summaries read in between
(a state is made on first read and maintained by the fold from then on). A figure's events, listed on
demand, are as many as its ``event_count`` says and hash to its ``event_digest``."""
import copy
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.template import default_template
from projections.provenance import event_digest
from projections.reports import Reports
from projections.summary import build_summary, figure_index
from projections.templates import template_for
from scripts.demo import demo_payloads
from service.bootstrap import Settings, bootstrap
from service.evidence import attach
from service.org_units import add_unit
from service.templates import import_template
from tests.evidence_files import png

CITY = "某市工商联"
ORGS = ("甲区工商联", "乙区工商联")  # the two districts of the city
PAYLOADS = [p for p in demo_payloads() if p["kind"] not in ("target",)]
COMMON = {"key", "kind", "organisation", "occurred_on", "title", "notes", "firms", "ends_on", "theme", "chamber",
          "for_year", "section"}
EXTRA_FIGURES = [  # figures over figures and distinct values, which the built-in template does not declare
    {"key": "political.trainings_change", "section": "political", "kinds": [], "agg": "change",
     "of": "political.trainings", "label": "培训比上年增加", "unit": "场次", "text": "比上年增加 {v}"},
    {"key": "chambers.members_change", "section": "chambers", "kinds": [], "agg": "change", "mode": "pct",
     "of": "chambers.members", "label": "会员增幅", "text": "增长 {v}"},
    {"key": "business.job_fair_firms_change", "section": "business", "kinds": [], "agg": "change",
     "of": "business.job_fair_firms", "label": "参会企业比上年增加", "unit": "家", "text": "参会企业增加 {v}"},
    {"key": "business.online_share", "section": "business", "kinds": [], "agg": "share",
     "of": "business.job_fairs_online", "over": "political.trainings", "label": "线上占比", "text": "占 {v}"},
    {"key": "social.donors", "section": "social", "kinds": ["donation"], "agg": "distinct_values", "field": "donor",
     "label": "捐赠单位", "unit": "家", "text": "{v}单位参与捐赠"},
]


def add_city(ledger) -> None:
    """The city and its two districts, as units."""
    add_unit(ledger, CITY, "city", "4201", None, actor="t")
    for code, org in zip(("420101", "420102"), ORGS):
        add_unit(ledger, org, "district", code, "4201", actor="t")


def variant(revision: int) -> dict:
    data = copy.deepcopy(default_template().as_data())
    data["name"] = "alt"
    data["figures"] += copy.deepcopy(EXTRA_FIGURES)
    if revision % 2:  # a revision: one figure counts more widely, another sums with a default
        for f in data["figures"]:
            if f.get("agg") == "count" and f.get("where"):
                f.pop("where")
                break
    data["title"] = f"{data['title']}（第 {revision} 版）"
    return data


def payload(i: int, n: int, org: str, year: int) -> dict:
    p = copy.deepcopy(PAYLOADS[i % len(PAYLOADS)])
    p["key"] = f"prop-{n}"
    p["organisation"] = org
    p["occurred_on"] = f"{year}{p['occurred_on'][4:]}"
    if p.get("ends_on"):
        p["ends_on"] = f"{year}{p['ends_on'][4:]}"
    if "for_year" in p:
        p["for_year"] = year
    return p


def change_for(p: dict, pick: int, number: int, approx: bool) -> dict:
    if pick % 4 == 0:
        return {"occurred_on": f"{2019 + pick % 3}-06-0{1 + pick % 8}"}
    if pick % 4 == 1 and "firms" in p:
        return {"firms": p["firms"][: max(len(p["firms"]) - 1, 0)] + [{"name": f"新企业{number % 5}"}]}
    measures = sorted(k for k, v in p.items() if k not in COMMON and (isinstance(v, int) or isinstance(v, dict)))
    if measures:
        return {measures[pick % len(measures)]: {"value": number, "approx": "余"} if approx else number}
    return {"title": f"改名{number}"}


OP = st.one_of(
    st.tuples(st.just("log"), st.integers(0, 10_000), st.sampled_from(ORGS), st.sampled_from((2019, 2020, 2021))),
    st.tuples(st.just("correct"), st.integers(0, 10_000), st.integers(0, 11), st.integers(0, 500), st.booleans()),
    st.tuples(st.just("retract"), st.integers(0, 10_000)),
    st.tuples(st.just("read"), st.sampled_from((*ORGS, CITY)), st.sampled_from((2020, 2021))),
    st.tuples(st.just("template"), st.sampled_from((*ORGS, CITY)), st.sampled_from((2020, 2021))),
    st.tuples(st.just("evidence"), st.integers(0, 10_000)),
)


def compare(reports: Reports, org: str, year: int, include_children: bool | None = None) -> None:
    db = reports.store.db
    position = reports.catch_up()
    state = build_summary(db, org, year, position, include_children=include_children)
    oracle = build_summary(db, org, year, position, template=template_for(db, org, year),
                           include_children=include_children)
    a, b = figure_index(state), figure_index(oracle)
    assert list(a) == list(b)
    for key in a:
        assert a[key] == b[key], key
    assert json.dumps(state, ensure_ascii=False, sort_keys=True) == json.dumps(oracle, ensure_ascii=False,
                                                                                sort_keys=True)
    for key, f in figure_index(state).items():
        ids = reports.figure_event_ids(year, key, organisation=org, include_children=include_children)
        assert ids is not None, key
        assert (len(ids), event_digest(ids)) == (f["event_count"], f["event_digest"]), key


def compare_activity(reports: Reports, org: str, year: int) -> None:
    """The summary page's chart from the kept counts == counted from the year's rows."""
    db = reports.store.db
    template = template_for(db, org, year)
    work = {s.key for s in template.work_sections}
    left_out = {k.key for k in template.kinds if k.theme not in work}
    rows = [r for r in db.execute("SELECT kind, theme, occurred_on FROM records WHERE organisation = ? AND year = ? "
                                  "AND retracted = 0", [org, year]) if r[0] not in left_out]
    months = {m: sum(1 for r in rows if int(r[2][5:7]) == m) for m in range(1, 13)}
    themes: dict[str, int] = {}
    for r in rows:
        themes[r[1]] = themes.get(r[1], 0) + 1
    got = reports.activity(year, org)
    assert (got["months"], got["themes"]) == (months, themes)


def compare_firms(reports: Reports) -> None:
    """The firm suggestions kept by the fold == counted from every live record's firms."""
    rows = reports.store.db.execute("SELECT organisation, firms FROM records WHERE retracted = 0").fetchall()
    for organisations in (None, [ORGS[0]], list(ORGS)):
        for prefix in ("", "企业", "新", "9"):
            counts: dict[tuple, int] = {}
            for org, firms in rows:
                if organisations is not None and org not in organisations:
                    continue
                for f in json.loads(firms):
                    name, code = f.get("name") or "", f.get("uscc") or ""
                    if prefix and not (prefix in name or code.startswith(prefix.upper())):
                        continue
                    counts[(name, code)] = counts.get((name, code), 0) + 1
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            expected = [{"name": k[0] or None, "uscc": k[1] or None, "uses": n} for k, n in ranked]
            assert reports.firm_suggestions(prefix, limit=10_000, organisations=organisations) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                   HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OP, min_size=1, max_size=40), start=st.lists(st.integers(0, 10_000), min_size=3, max_size=12))
def test_kept_figures_equal_the_recomputation_from_the_rows(ops, start, sqlite_only):
    with tempfile.TemporaryDirectory() as folder:
        services = bootstrap(Settings(data=Path(folder)))
        ledger, reports = services.ledger, services.reports
        logged: list[tuple] = []  # (record id, payload)
        revisions = 0
        add_city(ledger)
        try:
            for n, i in enumerate(start):
                p = payload(i, n, ORGS[n % 2], 2020)
                logged.append((ledger.log(p, actor="t").id, p))
            reports.summary(2020, ORGS[0])
            for n, op in enumerate(ops, start=len(start)):
                if op[0] == "log":
                    p = payload(op[1], n, op[2], op[3])
                    logged.append((ledger.log(p, actor="t").id, p))
                elif op[0] == "correct":
                    rid, p = logged[op[1] % len(logged)]
                    change = change_for(p, op[2], op[3], op[4])
                    try:
                        ledger.correct(rid, change, reason="更正", actor="t")
                        event(f"corrected {sorted(change)[0] if change else ''}")
                    except Exception:  # a change the kind refuses (a retracted record, a field's type)
                        event("correction refused")
                elif op[0] == "retract":
                    rid, _ = logged[op[1] % len(logged)]
                    try:
                        ledger.retract(rid, reason="撤回", actor="t")
                    except Exception:
                        pass
                elif op[0] == "read":
                    reports.summary(op[2], op[1])
                    reports.activity(op[2], op[1])
                elif op[0] == "evidence":  # an event in the record's history: its figures' event sets grow
                    rid, _ = logged[op[1] % len(logged)]
                    try:
                        attach(services, rid, png(), f"证明{n}.png", actor="t")
                        event("evidence attached")
                    except Exception:
                        event("evidence refused")
                else:
                    revisions += 1
                    import_template(ledger, variant(revisions), actor="t", reason="修订", organisation=op[1],
                                    years=[op[2]])
            for year in (2020, 2021):
                for org in ORGS:
                    compare(reports, org, year)
                    compare_activity(reports, org, year)
                compare(reports, CITY, year)  # the roll-up, with each district's part
                compare_firms(reports)
                compare(reports, CITY, year, include_children=False)
        finally:
            reports.store.db.close()
            ledger.close()


def test_a_revised_templates_old_state_is_dropped_and_its_new_one_kept(tmp_path, sqlite_only):
    services = bootstrap(Settings(data=tmp_path))
    ledger, reports = services.ledger, services.reports
    try:
        for n in range(6):
            ledger.log(payload(n, n, ORGS[0], 2020), actor="t")
        reports.summary(2020, ORGS[0])
        import_template(ledger, variant(1), actor="t", reason="选用", organisation=ORGS[0], years=[2020])
        first = reports.summary(2020, ORGS[0])["template"]["digest"]
        import_template(ledger, variant(2), actor="t", reason="修订")
        second = reports.summary(2020, ORGS[0])["template"]["digest"]
        assert first != second
        kept = {r[0] for r in reports.store.db.execute("SELECT digest FROM figure_scopes")}
        assert first not in kept and second in kept  # the built-in one stays: it is still a template in use
        assert default_template().digest in kept
        compare(reports, ORGS[0], 2020)
    finally:
        reports.store.db.close()
        ledger.close()


def test_a_rebuild_makes_the_kept_states_before_it_swaps_and_the_fold_moves_them_after(tmp_path, sqlite_only,
                                                                                      monkeypatch):
    from projections import figure_state

    services = bootstrap(Settings(data=tmp_path))
    ledger, reports = services.ledger, services.reports
    add_city(ledger)
    try:
        logged = [(ledger.log(payload(n, n, ORGS[n % 2], 2020), actor="t").id) for n in range(24)]
        ledger.correct(logged[3], {"title": "更正后的标题"}, reason="更正", actor="t")
        ledger.retract(logged[5], reason="撤回", actor="t")
        reports.summary(2020, CITY)  # the city's and both districts' states are kept
        tables = ("figure_scopes", "figure_contrib", "figure_items", "figure_totals", "record_counts", "count_scopes")

        def state():
            db = reports.store.db
            return {t: sorted(tuple(r) for r in db.execute(f"SELECT * FROM {t}")) for t in tables}

        before = state()
        assert len(before["figure_scopes"]) == 3
        monkeypatch.setattr(figure_state, "POPULATE_CHUNK", 2)  # made again from the rows two at a time
        reports.rebuild()
        after = state()
        assert after["figure_scopes"] == before["figure_scopes"]
        for t in tables[1:]:
            assert after[t] == before[t], t
        # the first summary after the rebuild reads the kept state: nothing is computed from the rows
        monkeypatch.setattr(figure_state, "_populate", lambda *a: (_ for _ in ()).throw(AssertionError("populate")))
        ledger.log(payload(99, 99, ORGS[1], 2020), actor="t")
        ledger.retract(logged[8], reason="撤回", actor="t")
        reports.summary(2020, CITY)
        monkeypatch.undo()
        compare(reports, CITY, 2020)
        compare(reports, ORGS[1], 2020)
    finally:
        reports.store.db.close()
        ledger.close()


def test_a_views_file_that_kept_counts_without_months_makes_them_again(tmp_path, sqlite_only):
    from projections.views import ViewStore

    services = bootstrap(Settings(data=tmp_path))
    ledger, reports = services.ledger, services.reports
    try:
        for n in range(8):
            ledger.log(payload(n, n, ORGS[0], 2020), actor="t")
        reports.summary(2020, ORGS[0])
        db = reports.store.db
        assert db.execute("SELECT COUNT(*) FROM count_scopes").fetchone()[0] > 0
        db.execute("DROP TABLE record_months")  # as a file written before the months were kept
        db.conn.commit()
        again = ViewStore(reports.store.path)
        assert again.db.execute("SELECT COUNT(*) FROM count_scopes").fetchone()[0] == 0
        again.db.close()
        compare_activity(reports, ORGS[0], 2020)
        assert reports.store.db.execute("SELECT SUM(n) FROM record_months").fetchone()[0] > 0
    finally:
        reports.store.db.close()
        ledger.close()
