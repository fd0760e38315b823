"""The ``taizhang`` command: thin click commands over service/ (and projections/ as they come)."""
from __future__ import annotations

import json
import re
import sys
from uuid import UUID

import click

from domain.errors import DomainError
from projections.reports import Reports
from service import audit as audit_cases
from service.accounts import ROLES, AccountError, Accounts
from service.bootstrap import Services, Settings, bootstrap
from service.ledger import ImportRefused, Ledger
from service.schemas import InvalidInput, catalogue
from service.scope import check_unit

USCC_SHAPE = re.compile(r"^[0-9A-Z]{18}$")
PROVENANCE_FORMATS = ("json", "xlsx", "docx")  # exports that carry what they were made from


def services() -> Services:
    """The services, built once per command run by the composition root (service/bootstrap.py)."""
    meta = click.get_current_context().find_root().meta
    if "taizhang.services" not in meta:
        meta["taizhang.services"] = bootstrap()
    return meta["taizhang.services"]


def open_ledger() -> Ledger:
    return services().ledger


def fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def parse_record_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        fail(f"不是记录编号 / not a record id: {text}", 2)


def _value(text: str):
    """A command-line value: JSON when it looks like JSON, else the text itself."""
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def _firm(text: str) -> dict:
    """--firm 甲公司 | --firm 91420112MA4K0000X1 | --firm 甲公司=91420112MA4K0000X1"""
    if "=" in text:
        name, code = text.split("=", 1)
        return {"name": name.strip(), "uscc": code.strip()}
    if USCC_SHAPE.match(text.strip().upper()):
        return {"uscc": text.strip()}
    return {"name": text}


def options_to_payload(args: list[str]) -> dict:
    """Turn ``--field value`` pairs (``--firm`` repeatable) into an action's JSON."""
    payload: dict = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            fail(f"多余的参数 / unexpected argument: {arg}", 2)
        name, _, inline = arg[2:].partition("=")
        if inline == "" and "=" not in arg:
            if i + 1 >= len(args):
                fail(f"--{name} 缺少取值 / --{name} needs a value", 2)
            value = args[i + 1]
            i += 2
        else:
            value = inline
            i += 1
        name = name.replace("-", "_")
        if name == "firm":
            payload.setdefault("firms", []).append(_firm(value))
        else:
            payload[name] = _value(value)
    return payload


@click.group()
def cli() -> None:
    """台账 taizhang: the work ledger of a Federation of Industry and Commerce."""


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
@click.option("--organisation", default=None, help="the kinds of the template this organisation uses")
@click.option("--year", type=int, default=None, help="… for this year (default: this year)")
def kinds(fmt: str, organisation: str | None, year: int | None) -> None:
    """The catalogue of kinds of work (of the organisation's template), read from the schemas."""
    from datetime import date

    template = services().ledger.template_for(organisation, year or date.today().year) if organisation else None
    cat = catalogue(template)
    if fmt == "json":
        click.echo(json.dumps(cat, ensure_ascii=False, indent=2))
        return
    for k in cat:
        own = [f["name"] for f in k["fields"] if f["name"] not in
               ("key", "kind", "firms", "organisation", "occurred_on", "ends_on", "title", "notes", "theme")]
        click.echo(f"{k['kind']:<20} {k['zh']}（{k['en']}） [{k['theme_zh']}] {' '.join('--' + n for n in own)}")


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("kind")
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None, help="who logs it (default: the OS user)")
@click.pass_context
def log(ctx: click.Context, kind: str, actor: str | None) -> None:
    """Log one action: taizhang log job_fair --title … --occurred-on 2020-05-12 --mode online --firm 甲公司"""
    payload = {"kind": kind, **options_to_payload(ctx.args)}
    try:
        result = open_ledger().log(payload, actor=actor)
    except (InvalidInput, DomainError) as e:
        fail(f"未保存 / nothing stored:\n{e}")
    click.echo(str(result.id) if result.created else f"{result.id} (already recorded)")


@cli.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
@click.option("--kind", default=None, help="an .xlsx/.csv sheet: the kind of work its rows are (e.g. job_fair)")
@click.option("--sheet", default=None, help="an .xlsx: the sheet to read (default: the first)")
@click.option("--mapping", "mapping_file", type=click.File("r", encoding="utf-8"), default=None,
              help='a sheet: JSON {"列名": "field", …} mapping column titles to fields ("" skips a column)')
@click.option("--map", "maps", multiple=True, metavar="列名=field",
              help="a sheet: map one column title to a field (repeatable; over --mapping and the suggestion)")
@click.option("--set", "sets", multiple=True, metavar="field=value",
              help="a sheet: a default value where no column (or an empty cell) gives the field")
@click.option("--organisation", default=None,
              help="a sheet: the importing office (default of 单位; its mapping is remembered under it)")
@click.option("--header-row", type=int, default=None, help="a sheet: the row of the column titles (default: found)")
@click.option("--dry-run", is_flag=True, help="a sheet: check and show the mapping, store nothing")
def import_(file: str, actor: str | None, kind: str | None, sheet: str | None, mapping_file, maps, sets,
            organisation: str | None, header_row: int | None, dry_run: bool) -> None:
    """Import a JSONL file (one action a line), or an Excel/CSV 台账 (.xlsx, .csv) with --kind.

    Either way all or nothing: any bad line or cell, and nothing is stored (every one is named, a
    sheet's by row, column and title); importing the same file again adds nothing."""
    from pathlib import Path

    from service.sheets import SHEET_SUFFIXES

    suffix = Path(file).suffix.lower()
    if suffix in SHEET_SUFFIXES + (".xls",):
        _import_sheet(file, actor, kind, sheet, mapping_file, maps, sets, organisation, header_row, dry_run)
        return
    if kind or sheet or mapping_file or maps or sets or header_row or dry_run:
        fail("--kind/--sheet/--mapping/--map/--set/--header-row/--dry-run 只用于 .xlsx/.csv 文件 / "
             "are for .xlsx and .csv files only", 2)
    with click.open_file(file, encoding="utf-8") as lines:  # "-": standard input
        bar = None

        def progress(done: int, total: int) -> None:  # on a terminal's stderr, once every line is valid
            nonlocal bar
            if not sys.stderr.isatty():
                return
            if bar is None:
                bar = click.progressbar(length=total, label="导入 / importing", file=sys.stderr)
                bar.__enter__()
            bar.update(done - bar.pos)

        try:
            try:
                report = open_ledger().import_lines(lines, actor=actor, progress=progress)
            finally:
                if bar is not None:
                    bar.__exit__(None, None, None)
        except ImportRefused as e:
            click.echo(f"未导入，{len(e.errors)} 行有误 / nothing imported, {len(e.errors)} bad line(s):", err=True)
            for err in e.errors:
                click.echo(f"  {err}", err=True)
            sys.exit(1)
    click.echo(f"{report.lines} lines: {report.added} added, {report.already_there} already recorded")


def _pairs(texts, option: str) -> dict[str, str]:
    out = {}
    for text in texts:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            fail(f"{option} 应写成 名称=值 / {option} takes name=value: {text}", 2)
        out[name.strip()] = value.strip()
    return out


def _import_sheet(file, actor, kind_key, sheet_name, mapping_file, maps, sets, organisation, header_row,
                  dry_run) -> None:
    """An Excel/CSV 台账: read, map (remembered ∪ suggested ∪ given), convert, import all or nothing."""
    from service import sheets

    if not kind_key:
        fail("导入表格需要 --kind（如 --kind job_fair；taizhang kinds 列出全部）/ a sheet needs --kind "
             "(e.g. --kind job_fair; taizhang kinds lists them)", 2)
    svc = services()
    try:
        from datetime import date

        kind = sheets.sheet_kind(kind_key, services().ledger.template_for(
            organisation or services().reports.default_organisation() or "", date.today().year))
        with open(file, "rb") as f:
            sheet = sheets.read_sheet(f.read(), file, sheet_name, header_row)
    except sheets.SheetError as e:
        fail(f"未导入 / nothing imported: {e}")
    given: dict[str, str] = {}
    if mapping_file is not None:
        try:
            loaded = json.load(mapping_file)
        except json.JSONDecodeError as e:
            fail(f"--mapping 不是合法的 JSON / --mapping is not valid JSON: {e.msg}", 2)
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            fail('--mapping 应为 {"列名": "字段"} / --mapping must be {"column title": "field"}', 2)
        titles = {c.title for c in sheet.columns}
        given.update({t: n for t, n in loaded.items() if t in titles})  # one file may serve sheets of other shapes
    given.update(_pairs(maps, "--map"))
    organisation = organisation or svc.reports.default_organisation()
    remembered = svc.sheets.mapping(organisation, kind.key)
    suggested = sheets.suggest_mapping(sheet.columns, kind, remembered)
    mapping = {c.title: suggested.get(c.title, "") for c in sheet.columns} | given
    conversion = sheets.convert(sheet, kind, mapping, _pairs(sets, "--set"), organisation)
    where = f"{file}" + (f" [{sheet.name}]" if sheet.name else "")
    click.echo(f"{where}: 表头第 {sheet.header_row} 行 / header row {sheet.header_row}; "
               f"{len(sheet.rows)} 行 / rows", err=True)
    for column in sheet.columns:
        name = conversion.mapping.get(column.title)
        click.echo(f"  {column.letter} {column.title} → {name or '（不导入 / not imported）'}", err=True)
    for number, why in sheet.skipped:
        click.echo(f"  第 {number} 行 / row {number}: {why}", err=True)
    try:
        if not conversion.ok:
            raise sheets.SheetRefused(conversion.errors)
        if dry_run:
            sheets.mark_known(svc.ledger, conversion)
            known = sum(r.known for r in conversion.rows)
            click.echo(f"{len(conversion.rows)} rows OK (dry run): {len(conversion.rows) - known} new, "
                       f"{known} already recorded")
            return
        report = sheets.import_rows(svc.ledger, conversion, actor=actor)
    except sheets.SheetRefused as e:
        click.echo(f"未导入，{len(e.errors)} 处有误 / nothing imported, {len(e.errors)} problem(s):", err=True)
        for err in e.errors:
            click.echo(f"  {err}", err=True)
        sys.exit(1)
    svc.sheets.remember(organisation, kind.key, conversion.mapping, actor or _default_actor())
    click.echo(f"{report.lines} rows: {report.added} added, {report.already_there} already recorded")


def _default_actor() -> str:
    from service.ledger import default_actor

    return default_actor()


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--audit", is_flag=True, help="the whole log: every event with its position, raw state and chain hash")
def export(file: str, audit: bool) -> None:
    """Export every live record as JSONL that ``import`` takes (retracted records are left out)."""
    ledger = open_ledger()
    lines = open_reports(ledger).audit_lines() if audit else ledger.export_lines()
    n = 0
    with open(file, "w", encoding="utf-8") as out:
        for line in lines:
            out.write(line + "\n")
            n += 1
    click.echo(f"{n} {'events' if audit else 'records'} written to {file}")


@cli.command()
@click.argument("record_id")
def history(record_id: str) -> None:
    """The story of one record: every event, who, when recorded, what changed."""
    try:
        story = open_ledger().history(parse_record_id(record_id))
    except DomainError as e:
        fail(str(e))
    click.echo(json.dumps(story, ensure_ascii=False, indent=2))


@cli.command()
@click.argument("record_id")
def show(record_id: str) -> None:
    """One record as it stands now."""
    try:
        click.echo(json.dumps(open_ledger().get(parse_record_id(record_id)), ensure_ascii=False, indent=2))
    except DomainError as e:
        fail(str(e))


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("record_id")
@click.option("--reason", required=True, help="why it is corrected")
@click.option("--expected-version", type=int, default=None)
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
@click.pass_context
def correct(ctx, record_id: str, reason: str, expected_version: int | None, actor: str | None) -> None:
    """Correct fields of a record: taizhang correct ID --reason 录入错误 --posts 9048"""
    try:
        version = open_ledger().correct(parse_record_id(record_id), options_to_payload(ctx.args), reason,
                                        actor=actor, expected_version=expected_version)
    except (InvalidInput, DomainError) as e:
        fail(f"未保存 / nothing stored:\n{e}")
    click.echo(f"corrected, now version {version}")


@cli.command()
@click.argument("record_id")
@click.option("--reason", required=True)
@click.option("--expected-version", type=int, default=None)
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
def retract(record_id: str, reason: str, expected_version: int | None, actor: str | None) -> None:
    """Retract a record (it stays in the history, and leaves every figure)."""
    try:
        version = open_ledger().retract(parse_record_id(record_id), reason, actor=actor,
                                        expected_version=expected_version)
    except DomainError as e:
        fail(f"未保存 / nothing stored:\n{e}")
    click.echo(f"retracted, now version {version}")


@cli.command()
def storage() -> None:
    """Which store is in use, and its settings (journal mode, synchronous)."""
    click.echo(json.dumps(open_ledger().storage_settings(), ensure_ascii=False))


def open_reports(ledger: Ledger | None = None) -> Reports:
    return services().reports


@cli.command()
@click.option("--if-empty", is_flag=True, help="only when the ledger holds nothing yet")
def demo(if_empty: bool) -> None:
    """Load the 2020 demo ledger (individual actions whose folding reproduces the seed's summary)."""
    from scripts.demo import demo_payloads

    ledger = open_ledger()
    if if_empty and ledger.recorder.max_notification_id():
        click.echo("ledger not empty: demo not loaded")
        return
    report = ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")
    click.echo(f"demo ledger: {report.added} added, {report.already_there} already recorded")


@cli.command()
def rebuild() -> None:
    """Rebuild the read model from zero, with a progress bar."""
    ledger = open_ledger()
    reports = open_reports(ledger)
    total = ledger.recorder.max_notification_id() or 0
    with click.progressbar(length=total, label="rebuilding") as bar:
        position = reports.rebuild(progress=bar.update)
    click.echo(f"rebuilt to position {position}")


@cli.command()
@click.argument("year", type=int)
@click.option("--format", "fmt", type=click.Choice(["json", "md", "docx", "pdf", "xlsx", "csv"]), default="md")
@click.option("--as-of", default=None, help="ISO moment (2021-01-05T12:00:00+08:00) or a log position")
@click.option("--organisation", default=None)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="file to write (required for docx, pdf and xlsx unless stdout is not a terminal)")
@click.option("--include-children/--own-only", "include_children", default=None,
              help="a unit's summary with every unit below it (the default above 区县), or its own work only")
def summary(year: int, fmt: str, as_of: str | None, organisation: str | None, output: str | None,
            include_children: bool | None) -> None:
    """The year's work summary (工作总结), projected from the ledger."""
    from projections.render import RENDERERS

    try:
        body = open_reports().summary(year, organisation, as_of, include_children)
    except ValueError as e:
        fail(f"--as-of: {e}", 2)
    if fmt in PROVENANCE_FORMATS:
        from projections.provenance import attach

        try:
            attach(body, audit_cases.export_checkpoint(services()))
        except audit_cases.AuditRefused as e:
            fail("\n".join([str(e), *(f"  {p}" for p in e.problems)]))
    if fmt == "json":
        data: str | bytes = json.dumps(body, ensure_ascii=False, indent=2)
    else:
        data = RENDERERS[fmt](body)
    if output is None and isinstance(data, bytes):
        output = f"summary-{year}.{fmt}"
    if output:
        with open(output, "wb") as out:
            out.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        click.echo(f"written to {output}", err=True)
    else:
        click.echo(data)


@cli.command()
@click.argument("year", type=int)
@click.option("--before", required=True, help="ISO moment or log position")
@click.option("--after", default=None, help="ISO moment or log position (default: now)")
@click.option("--organisation", default=None)
def diff(year: int, before: str, after: str | None, organisation: str | None) -> None:
    """Figure by figure, how the year's summary changed between two moments."""
    click.echo(json.dumps(open_reports().difference(year, before, after, organisation), ensure_ascii=False, indent=2))


@cli.command()
@click.argument("year", type=int)
@click.option("--organisation", default=None)
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
@click.option("--override-reason", default=None, metavar="TEXT",
              help="close although units below are still open, for this reason (kept with the seal)")
def close(year: int, organisation: str | None, actor: str | None, override_reason: str | None) -> None:
    """Close a year: seal its ledger at the current chain head (needs TAIZHANG_SEAL_KEY).

    The same use case as the audit page and API (service/audit.py): refused, with the same message,
    for an empty ledger, a year without records, a year closed already, no seal key, a ledger that
    does not verify."""
    from service.ledger import default_actor

    try:
        seal = audit_cases.close_year(services(), year, organisation, actor or default_actor(),
                                      override_reason=override_reason)
    except audit_cases.AuditRefused as e:
        fail("\n".join([str(e), *(f"  {p}" for p in e.problems)]))
    click.echo(json.dumps(seal, ensure_ascii=False))


@cli.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None)
@click.option("--unsigned", is_flag=True, help="the old small JSON (position and chain head), not a signed note")
def checkpoint(output: str | None, unsigned: bool) -> None:
    """Write a checkpoint for an auditor to keep offline: a C2SP tlog-checkpoint signed with
    TAIZHANG_SIGNING_KEY (tree size and RFC 9162 root over every event), or with --unsigned the chain head."""
    if unsigned or services().settings.signer() is None:
        if not unsigned:
            click.echo("note: TAIZHANG_SIGNING_KEY is not set: an unsigned checkpoint (see taizhang keygen)", err=True)
        data = json.dumps(open_reports().checkpoint(), ensure_ascii=False, indent=2) + "\n"
    else:
        try:
            data, _result = audit_cases.signed_checkpoint(services())
        except audit_cases.AuditRefused as e:
            fail("\n".join([str(e), *(f"  {p}" for p in e.problems)]))
    if output:
        with open(output, "w", encoding="utf-8") as out:
            out.write(data)
        click.echo(f"checkpoint written to {output}", err=True)
    else:
        click.echo(data, nl=False)


@cli.command(name="verify")
@click.option("--checkpoint", "checkpoint_file", type=click.File("r", encoding="utf-8"), default=None,
              help="a checkpoint kept offline (signed note, or the unsigned JSON): the ledger must still extend it")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def verify_(checkpoint_file, fmt: str) -> None:
    """Recompute the hash chain from the raw rows; check integrity, seals and a checkpoint."""
    from projections.chain import load_checkpoint
    from service.signing import is_signed_note

    cp, signed = None, None
    if checkpoint_file is not None:
        text = checkpoint_file.read()
        if is_signed_note(text):
            signed = text
        else:
            try:
                cp = load_checkpoint(text)
            except ValueError as e:
                fail(f"--checkpoint: {e}", 2)
    result = audit_cases.verify(services(), cp, signed)
    if fmt == "json":
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    elif result.ok:
        click.echo(f"OK: {result.events} events, head {result.head} at position {result.position}")
        for note in result.notes:
            click.echo(f"  note: {note}")
    else:
        first = result.problems[0]
        click.echo(f"BAD: {first}", err=True)
        for p in result.problems[1:]:
            click.echo(f"  also {p}", err=True)
    sys.exit(0 if result.ok else 1)


# --- signed evidence: keys, inclusion proofs, offline checks ---------------------------------

@cli.command()
@click.argument("name")
@click.option("--out", "prefix", required=True, type=click.Path(dir_okay=False),
              help="writes PREFIX.key (the signer key: keep it outside the data folder) and PREFIX.pub")
def keygen(name: str, prefix: str) -> None:
    """Make an Ed25519 key pair for checkpoints and seals; NAME is the log's origin (e.g. gsl.example/ledger)."""
    import os

    from service.signing import NoteError, Signer

    try:
        signer = Signer.generate(name)
    except NoteError as e:
        fail(str(e), 2)
    fd = os.open(f"{prefix}.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(signer.text() + "\n")
    with open(f"{prefix}.pub", "w", encoding="utf-8") as out:
        out.write(signer.verifier.text() + "\n")
    click.echo(f"signer key {prefix}.key (set TAIZHANG_SIGNING_KEY to its path), public key {prefix}.pub")


@cli.command()
@click.argument("target")
@click.option("--checkpoint", "checkpoint_file", type=click.File("r", encoding="utf-8"), default=None,
              help="a signed checkpoint to prove against (default: a new one)")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None)
def prove(target: str, checkpoint_file, output: str | None) -> None:
    """An RFC 9162 inclusion proof of one event (a position) or of every event of a record (its id)."""
    if target.isdigit():
        positions = [int(target)]
    else:
        oid = parse_record_id(target)
        positions = [n.id for n in services().ledger.recorder.select_notifications(start=1, limit=10**9)
                     if n.originator_id == oid]
        if not positions:
            fail(f"没有该记录的事件 / no events of record {target}")
    try:
        doc = audit_cases.prove(services(), positions, checkpoint_file.read() if checkpoint_file else None)
    except audit_cases.AuditRefused as e:
        fail("\n".join([str(e), *(f"  {p}" for p in e.problems)]))
    data = json.dumps(doc, ensure_ascii=False, indent=2)
    if output:
        with open(output, "w", encoding="utf-8") as out:
            out.write(data + "\n")
        click.echo(f"proof written to {output}", err=True)
    else:
        click.echo(data)


@cli.command(name="verify-checkpoint")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--public-key", "public_key", required=True, type=click.File("r", encoding="utf-8"))
def verify_checkpoint(file, public_key) -> None:
    """Offline, with the public key alone: a signed checkpoint or seal note, or a `prove` document."""
    from service.signing import NoteError, Verifier, read_checkpoint

    text = file.read()
    try:
        verifier = Verifier.parse(public_key.read())
        if text.lstrip().startswith("{"):
            doc = json.loads(text)
            problems = audit_cases.check_proof(doc, verifier)
            if problems:
                fail("BAD: " + "\n  also ".join(problems))
            click.echo(f"OK: {len(doc['events'])} event(s) included in the signed tree of {doc['tree_size']}")
            return
        cp = read_checkpoint(text, verifier)
    except (NoteError, ValueError, KeyError) as e:
        fail(f"BAD: {e}")
    click.echo(f"OK: signed by {verifier.name}: tree of {cp.size} events, root {cp.root.hex()}"
               + "".join(f"\n  {line}" for line in cp.extensions))


@cli.command(name="verify-summary")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def verify_summary(file: str) -> None:
    """Check a downloaded summary (json, xlsx, docx) against the ledger: every figure, its events, and the
    checkpoint it was made under."""
    from pathlib import Path

    from projections.provenance import check, read_file

    fmt = Path(file).suffix.lstrip(".").lower()
    try:
        block, shown = read_file(Path(file).read_bytes(), fmt)
    except (ValueError, KeyError, StopIteration) as e:
        fail(f"BAD: no provenance in {file} ({type(e).__name__}: {e})", 2)
    fresh = open_reports().summary(int(block["year"]), block["organisation"], int(block["position"]))
    problems = check(block, shown, fresh)
    cp = block.get("checkpoint")
    result = audit_cases.verify(services(), *((None, cp) if isinstance(cp, str) else (cp, None)))
    problems += [f"the ledger: {p}" for p in result.problems]
    if problems:
        fail("BAD: " + "\n  also ".join(problems))
    click.echo(f"OK: {len(block['figures'])} figures of {block['organisation']} {block['year']} as at position "
               f"{block['position']} agree with the ledger, which verifies against the file's checkpoint")


@cli.command(name="backup")
@click.argument("dest", type=click.Path(file_okay=False))
def backup_(dest: str) -> None:
    """A consistent copy of the ledger and the accounts into the new folder DEST, while the server writes
    (SQLite online backup API; pg_dump on PostgreSQL); then verifies the copy. Restore: see the README."""
    from service.backup import BackupRefused, backup

    try:
        made = backup(services(), dest)
    except BackupRefused as e:
        fail(f"未备份 / no backup: {e}")
    click.echo(f"backup in {made['folder']}: {', '.join(made['files'])}")
    if "ledger.sqlite" in made["files"]:
        copy = bootstrap(Settings.from_env(dest))
        result = audit_cases.verify(copy)
        copy.ledger.close()
        if not result.ok:
            fail(f"BAD: the copy does not verify: {result.problems[0]}")
        click.echo(f"OK: the copy verifies: {result.events} events, head {result.head} at position {result.position}")


# --- accounts --------------------------------------------------------------------------------


def open_accounts() -> Accounts:
    return services().accounts


@cli.group()
def user() -> None:
    """Accounts: add users, list them, issue API tokens, make the first admin."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
@click.option("--unit", default=None, metavar="CODE",
              help="the organisation unit the user belongs to (staff write in it only; auditors and admins "
                   "read it and every unit below); none: the whole ledger")
def user_add(name: str, role: str, password_stdin: bool, unit: str | None) -> None:
    """Add a user; without --password-stdin a random password is made and printed once."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("stdin 中没有密码 / no password on stdin", 2)
    try:
        made = open_accounts().add(name, role, password, unit=check_unit(services(), unit))
    except AccountError as e:
        fail(f"未添加 / not added: {e}")
    if password is None:
        click.echo(f"user {name} added ({role}); password (shown once):", err=True)
        click.echo(made)
    else:
        click.echo(f"user {name} added ({role})")


@user.command("list")
def user_list() -> None:
    """Every user and its role."""
    for u in open_accounts().all():
        click.echo(f"{u.name}\t{u.role}\t{u.unit or '*'}")


@user.command("unit")
@click.argument("name")
@click.argument("code", required=False)
def user_unit(name: str, code: str | None) -> None:
    """Move a user to the organisation unit CODE (none given: the whole ledger); their sessions end."""
    try:
        open_accounts().set_unit(name, check_unit(services(), code))
    except AccountError as e:
        fail(str(e))
    click.echo(f"user {name}: unit {code or '*'}")


@user.command("token")
@click.argument("name")
def user_token(name: str) -> None:
    """Issue a new API token for the user (printed once; any earlier token stops working)."""
    try:
        click.echo(open_accounts().issue_token(name))
    except AccountError as e:
        fail(str(e))


@user.command("ensure-admin")
def user_ensure_admin() -> None:
    """On first start only (no user at all): create "admin" with a random password and print the login."""
    made = open_accounts().ensure_admin()
    if made:
        click.echo(f"admin login: {made[0]} / {made[1]}")


def _register() -> None:
    from scripts.cli_org import org
    from scripts.cli_templates import template

    cli.add_command(template)
    cli.add_command(org)


_register()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
