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
from service.bootstrap import Services, bootstrap
from service.ledger import ImportRefused, Ledger
from service.schemas import InvalidInput, catalogue

USCC_SHAPE = re.compile(r"^[0-9A-Z]{18}$")


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
def kinds(fmt: str) -> None:
    """The catalogue of kinds of work, read from the schemas."""
    cat = catalogue()
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
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
def import_(file, actor: str | None) -> None:
    """Import a JSONL file (one action a line). Any bad line: nothing is stored, every bad line is named."""
    try:
        report = open_ledger().import_lines(file, actor=actor)
    except ImportRefused as e:
        click.echo(f"未导入，{len(e.errors)} 行有误 / nothing imported, {len(e.errors)} bad line(s):", err=True)
        for err in e.errors:
            click.echo(f"  {err}", err=True)
        sys.exit(1)
    click.echo(f"{report.lines} lines: {report.added} added, {report.already_there} already recorded")


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
def summary(year: int, fmt: str, as_of: str | None, organisation: str | None, output: str | None) -> None:
    """The year's work summary (工作总结), projected from the ledger."""
    from projections.render import RENDERERS

    try:
        body = open_reports().summary(year, organisation, as_of)
    except ValueError as e:
        fail(f"--as-of: {e}", 2)
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
def close(year: int, organisation: str | None, actor: str | None) -> None:
    """Close a year: seal its ledger at the current chain head (needs TAIZHANG_SEAL_KEY).

    The same use case as the audit page and API (service/audit.py): refused, with the same message,
    for an empty ledger, a year without records, a year closed already, no seal key, a ledger that
    does not verify."""
    from service.ledger import default_actor

    try:
        seal = audit_cases.close_year(services(), year, organisation, actor or default_actor())
    except audit_cases.AuditRefused as e:
        fail("\n".join([str(e), *(f"  {p}" for p in e.problems)]))
    click.echo(json.dumps(seal, ensure_ascii=False))


@cli.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None)
def checkpoint(output: str | None) -> None:
    """Write the current chain head as a small JSON for an auditor to keep offline."""
    data = json.dumps(open_reports().checkpoint(), ensure_ascii=False, indent=2)
    if output:
        with open(output, "w", encoding="utf-8") as out:
            out.write(data + "\n")
        click.echo(f"checkpoint written to {output}", err=True)
    else:
        click.echo(data)


@cli.command(name="verify")
@click.option("--checkpoint", "checkpoint_file", type=click.File("r", encoding="utf-8"), default=None,
              help="a checkpoint JSON kept offline: proves the ledger still extends it")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def verify_(checkpoint_file, fmt: str) -> None:
    """Recompute the hash chain from the raw rows; check integrity, seals and a checkpoint."""
    from projections.chain import load_checkpoint

    cp = None
    if checkpoint_file is not None:
        try:
            cp = load_checkpoint(checkpoint_file.read())
        except ValueError as e:
            fail(f"--checkpoint: {e}", 2)
    result = audit_cases.verify(services(), cp)
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
def user_add(name: str, role: str, password_stdin: bool) -> None:
    """Add a user; without --password-stdin a random password is made and printed once."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("stdin 中没有密码 / no password on stdin", 2)
    try:
        made = open_accounts().add(name, role, password)
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
        click.echo(f"{u.name}\t{u.role}")


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


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
