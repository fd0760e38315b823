"""``taizhang org …``: the organisation tree (区县 → 市 → 省 → 全国), service/org_units.py."""
from __future__ import annotations

import json
import sys

import click

from domain.errors import DomainError
from service import org_units as cases


def _services():
    from scripts.cli import services

    return services()


def _actor(actor: str | None) -> str:
    from service.ledger import default_actor

    return actor or default_actor()


def _run(call) -> None:
    try:
        click.echo(json.dumps(call(), ensure_ascii=False))
    except DomainError as e:
        click.echo(f"未保存 / nothing stored: {e}", err=True)
        sys.exit(1)


@click.group()
def org() -> None:
    """Organisation units: a city's summary rolls up its districts'."""


@org.command("add")
@click.argument("name")
@click.option("--level", required=True, help="区县 | 市 | 省 | 全国 (or district | city | province | national)")
@click.option("--code", required=True, help="the unit's code (行政区划代码 or the office's own)")
@click.option("--parent", default=None, help="the code of the unit above")
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
def org_add(name: str, level: str, code: str, parent: str | None, actor: str | None) -> None:
    """Add a unit; records logged under NAME belong to it (existing ones too: nothing is rewritten)."""
    _run(lambda: cases.add_unit(_services().ledger, name, level, code, parent, _actor(actor)))


@org.command("move")
@click.argument("code")
@click.option("--parent", default=None, help="the new parent's code (none: a root)")
@click.option("--reason", required=True)
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
def org_move(code: str, parent: str | None, reason: str, actor: str | None) -> None:
    """Move a unit under another (history kept)."""
    _run(lambda: cases.move_unit(_services().ledger, code, parent, _actor(actor), reason))


@org.command("rename")
@click.argument("code")
@click.argument("name")
@click.option("--reason", required=True)
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
def org_rename(code: str, name: str, reason: str, actor: str | None) -> None:
    """Rename a unit; its records under the old name stay its own."""
    _run(lambda: cases.rename_unit(_services().ledger, code, name, _actor(actor), reason))


@org.command("merge")
@click.argument("code")
@click.option("--into", required=True, help="the code of the unit (of the same level) it merges into")
@click.option("--reason", required=True)
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
def org_merge(code: str, into: str, reason: str, actor: str | None) -> None:
    """Merge a unit into another of its level: its records and the units below it go with it (history kept)."""
    _run(lambda: cases.merge_unit(_services().ledger, code, into, _actor(actor), reason))


@org.command("attach")
@click.argument("code")
@click.argument("name")
@click.option("--reason", required=True)
@click.option("--actor", envvar="TAIZHANG_ACTOR", default=None)
def org_attach(code: str, name: str, reason: str, actor: str | None) -> None:
    """Attach the records logged under NAME (an organisation typed another way) to the unit CODE."""
    _run(lambda: cases.attach_name(_services().ledger, code, name, _actor(actor), reason))


@org.command("list")
def org_list() -> None:
    """The tree, one unit a line, indented under its parent."""
    units = _services().reports.units()
    by_parent: dict = {}
    for u in units:
        by_parent.setdefault(u["parent"], []).append(u)
    codes = {u["code"] for u in units}

    def show(unit: dict, depth: int) -> None:
        click.echo(f"{'  ' * depth}{unit['name']}  [{unit['level']} {unit['code']}]")
        for child in by_parent.get(unit["code"], []):
            show(child, depth + 1)

    for root in [u for u in units if u["parent"] not in codes]:
        show(root, 0)
    loose = _services().reports.unattached() if units else []
    if loose:
        click.echo(f"未归属任何单位 / in no unit (org add or org attach): {'、'.join(loose)}")
