"""Templates in the event log: each template's story (defined, revised: who and why), and which
template each organisation uses for each year.

A template is one aggregate (its id a uuid5 of its name) whose events carry the whole template data
of each revision, so a summary as of any moment uses the template as it stood then, and the audit
timeline shows every change. An organisation's choices are one aggregate per organisation: for a
year, the template it uses (the built-in one until it chooses another).
"""
from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actions import check_reason
from domain.errors import InvalidChange

NAMESPACE = uuid5(NAMESPACE_URL, "https://taizhang.invalid/templates")


def template_id(name: str) -> UUID:
    return uuid5(NAMESPACE, f"template:{name}")


def choices_id(organisation: str) -> UUID:
    return uuid5(NAMESPACE, f"choices:{organisation}")


class SummaryTemplate(Aggregate):
    TOPIC = "taizhang:SummaryTemplate"

    class Event(Aggregate.Event):
        TOPIC = "taizhang:SummaryTemplate.Event"

    class Defined(Event, Aggregate.Created):
        TOPIC = "taizhang:SummaryTemplate.Defined"
        name: str
        body: dict
        digest: str
        actor: str
        reason: str

    def __init__(self, name: str, body: dict, digest: str, actor: str, reason: str):
        self.name = name
        self.body = body
        self.digest = digest
        self.revised_by = actor

    @classmethod
    def define(cls, name: str, body: dict, digest: str, actor: str, reason: str) -> "SummaryTemplate":
        return cls._create(cls.Defined, id=template_id(name), name=name, body=body, digest=digest, actor=actor,
                           reason=check_reason(reason))

    def revise(self, body: dict, digest: str, actor: str, reason: str) -> None:
        if digest == self.digest:
            raise InvalidChange("模板没有变化 / the template is unchanged")
        self.trigger_event(self.Revised, name=self.name, body=body, digest=digest, actor=actor,
                           reason=check_reason(reason))

    class Revised(Event):
        """Carries the name again, so that a reader of one event knows the template."""

        TOPIC = "taizhang:SummaryTemplate.Revised"
        name: str
        body: dict
        digest: str
        actor: str
        reason: str

        def apply(self, aggregate: "SummaryTemplate") -> None:
            aggregate.body = self.body
            aggregate.digest = self.digest
            aggregate.revised_by = self.actor


class TemplateChoices(Aggregate):
    """Which template one organisation uses for which year."""

    TOPIC = "taizhang:TemplateChoices"

    class Event(Aggregate.Event):
        TOPIC = "taizhang:TemplateChoices.Event"

    class Started(Event, Aggregate.Created):
        TOPIC = "taizhang:TemplateChoices.Started"
        organisation: str

    def __init__(self, organisation: str):
        self.organisation = organisation
        self.by_year: dict[str, str] = {}

    @classmethod
    def start(cls, organisation: str) -> "TemplateChoices":
        return cls._create(cls.Started, id=choices_id(organisation), organisation=organisation)

    def choose(self, year: int, template: str, actor: str, reason: str) -> None:
        if self.by_year.get(str(year)) == template:
            raise InvalidChange(f"{year} 年已使用模板 {template} / {year} already uses {template}")
        self.trigger_event(self.Chosen, organisation=self.organisation, year=year, template=template, actor=actor,
                           reason=check_reason(reason))

    def template_for(self, year: int) -> str | None:
        return self.by_year.get(str(year))

    class Chosen(Event):
        TOPIC = "taizhang:TemplateChoices.Chosen"
        organisation: str
        year: int
        template: str
        actor: str
        reason: str

        def apply(self, aggregate: "TemplateChoices") -> None:
            aggregate.by_year = {**aggregate.by_year, str(self.year): self.template}
