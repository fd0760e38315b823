"""``taizhang template …``: list, export, import and choose summary templates (service/templates.py)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from domain.errors import DomainError
from domain.template import DEFAULT_NAME, TemplateInvalid, dump_text, load_text
from projections import templates as template_views
from service import templates as template_cases


def _services():
    from scripts.cli import services

    return services()


@click.group()
def template() -> None:
    """Summary templates (总结模板): kinds, sections, figures and wording as data."""


@template.command("list")
def template_list() -> None:
    """Every template, its latest revision and which organisation uses it for which year."""
    reports = _services().reports
    reports.catch_up()
    for t in template_views.templates(reports.store.db):
        used = "、".join(f"{u['organisation']} {u['year']}" for u in t["used_by"]) or "—"
        click.echo(f"{t['name']:<20} v{t['version']}  {t['reason'] or ''}  used by: {used}")


@template.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--name", default=DEFAULT_NAME, show_default=True, help="the template to export")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default=None,
              help="default: from the file's extension (.json → json, else yaml)")
def template_export(file: str, name: str, fmt: str | None) -> None:
    """Write a template to FILE (YAML or JSON), to edit and import again or to share with another office."""
    try:
        data = template_cases.export_template(_services().ledger, name)
    except template_cases.TemplateNotFound as e:
        click.echo(str(e), err=True)
        sys.exit(1)
    fmt = fmt or ("json" if file.endswith(".json") else "yaml")
    Path(file).write_text(dump_text(data, fmt), encoding="utf-8")
    click.echo(f"template {name} written to {file}", err=True)


@template.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--reason", default="导入模板 / template imported", show_default=True, help="why (kept in the log)")
@click.option("--organisation", "--for", "organisation", default=None, help="the organisation that uses it")
@click.option("--year", "years", type=int, multiple=True, help="a year it is used for (repeatable)")
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
def template_import(file, reason: str, organisation: str | None, years: tuple[int, ...], actor: str | None) -> None:
    """Define or revise a template from FILE; a bad file stores nothing and every bad entry is named."""
    from service.ledger import default_actor

    try:
        data = load_text(file.read())
        result = template_cases.import_template(_services().ledger, data, actor or default_actor(), reason,
                                                organisation, years)
    except TemplateInvalid as e:
        click.echo(f"未导入，{len(e.errors)} 处有误 / nothing imported, {len(e.errors)} bad entr"
                   f"{'y' if len(e.errors) == 1 else 'ies'}:", err=True)
        for err in e.errors:
            click.echo(f"  {err}", err=True)
        sys.exit(1)
    except DomainError as e:
        click.echo(f"未导入 / nothing imported: {e}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result, ensure_ascii=False))


@template.command("use")
@click.argument("name")
@click.option("--organisation", required=True)
@click.option("--year", type=int, required=True)
@click.option("--reason", default="选用模板 / template chosen", show_default=True)
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
def template_use(name: str, organisation: str, year: int, reason: str, actor: str | None) -> None:
    """Choose template NAME for an organisation's year."""
    from service.ledger import default_actor

    try:
        result = template_cases.choose_template(_services().ledger, organisation, year, name,
                                                actor or default_actor(), reason)
    except (template_cases.TemplateNotFound, DomainError) as e:
        click.echo(str(e), err=True)
        sys.exit(1)
    click.echo(json.dumps(result, ensure_ascii=False))
