"""Template use cases: import (define or revise) a template, choose one for an organisation's year,
export one. The CLI (``taizhang template …``), the admin pages and the JSON API all call these, so a
template is checked the same way at every entry point: a bad one stores nothing and every bad entry
is named (``TemplateInvalid.errors``).
"""
from __future__ import annotations

from typing import Any, Iterable

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.errors import ConflictError, InvalidChange
from domain.template import (
    DEFAULT_NAME,
    Template,
    TemplateInvalid,
    check_revision,
    default_template,
    digest_of,
    parse,
)
from domain.template_log import (
    SummaryTemplate,
    TemplateChoices,
    choices_id,
    template_id,
)

__all__ = ["TemplateInvalid", "TemplateNotFound", "import_template", "choose_template", "export_template",
           "check_template", "preview"]


class TemplateNotFound(LookupError):
    def __init__(self, name: str):
        super().__init__(f"没有模板 {name} / no template {name!r}")
        self.name = name


def _stored(ledger: Any, name: str) -> SummaryTemplate | None:
    try:
        agg = ledger.repository.get(template_id(name))
    except AggregateNotFoundError:
        return None
    return agg if isinstance(agg, SummaryTemplate) else None


def check_template(ledger: Any, data: dict) -> Template:
    """The template ``data`` describes, checked on its own and as a revision of the one of its name."""
    template = parse(data)
    current = ledger.template_named(template.name)
    if current is not None:
        problems = check_revision(current, template)
        if problems:
            raise TemplateInvalid(problems)
    return template


def _choices(ledger: Any, organisation: str) -> TemplateChoices:
    try:
        return ledger.repository.get(choices_id(organisation))
    except AggregateNotFoundError:
        return TemplateChoices.start(organisation)


def import_template(ledger: Any, data: dict, actor: str, reason: str, organisation: str | None = None,
                    years: Iterable[int] = ()) -> dict:
    """Define a template, or revise the one of its name (its kinds' fields keep their types), and
    optionally choose it for ``organisation``'s ``years`` — all in one save, or nothing."""
    template = check_template(ledger, data)
    body, digest = template.as_data(), digest_of(template.as_data())
    stored = _stored(ledger, template.name)
    to_save: list = []
    changed = False
    if stored is None:
        if template.name == DEFAULT_NAME and digest == default_template().digest:
            pass  # the built-in template as shipped: nothing to record
        else:
            stored = SummaryTemplate.define(template.name, body, digest, actor, reason)
            to_save.append(stored)
            changed = True
    elif stored.digest != digest:
        stored.revise(body, digest, actor, reason)
        to_save.append(stored)
        changed = True
    chosen = []
    years = sorted(set(int(y) for y in years))
    if years and not organisation:
        raise InvalidChange("选择年度时须指明单位 / give the organisation whose years use the template")
    if organisation:
        choices = _choices(ledger, organisation.strip())
        for year in years:
            if choices.template_for(year) != template.name:
                choices.choose(year, template.name, actor, reason)
                chosen.append(year)
        if chosen:
            to_save.append(choices)
    if to_save:
        try:
            ledger.save(*to_save)
        except IntegrityError:
            raise ConflictError(template_id(template.name), None, None) from None
    return {"name": template.name, "version": stored.version if stored is not None else 0, "changed": changed,
            "digest": digest, "chosen": [{"organisation": organisation, "year": y} for y in chosen],
            "kinds": len(template.kinds), "figures": len(template.figures)}


def choose_template(ledger: Any, organisation: str, year: int, name: str, actor: str, reason: str) -> dict:
    if ledger.template_named(name) is None:
        raise TemplateNotFound(name)
    choices = _choices(ledger, organisation.strip())
    choices.choose(int(year), name, actor, reason)
    ledger.save(choices)
    return {"organisation": organisation, "year": int(year), "template": name}


def preview(services: Any, data: dict, year: int, organisation: str | None = None) -> dict:
    """The year's summary with the edited template, before it is saved (TemplateInvalid if it is bad)."""
    return services.reports.preview(check_template(services.ledger, data), year, organisation)


def export_template(ledger: Any, name: str = DEFAULT_NAME) -> dict:
    """The template's data as an office would edit it (the latest revision)."""
    template = ledger.template_named(name)
    if template is None:
        raise TemplateNotFound(name)
    return template.as_data()
