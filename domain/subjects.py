"""Chambers of commerce and enterprises: aggregates of their own, whose stories are facts.

A chamber is founded, prepared, holds elections and has its membership counted at dates; an
enterprise enters a listing reserve pool (its pools are the template's choices) and gets listed on a board. Each fact is
stated by the event of its kind and can later be corrected or retracted like an action.

Every fact also gets an ``Entry``: a one-event aggregate whose id is the fact's record id (uuid5 of
the client's key). Saving the entry with the fact makes a repeated submission collide, and lets a
record id lead to the chamber or enterprise that holds it.
"""
from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.actions import (
    COMMON_NAMES,
    RecordFields,
    apply_changes,
    check_reason,
    effective_changes,
)
from domain.catalogue import Kind
from domain.errors import InvalidChange, RecordNotFound, RecordRetracted


class Fact(RecordFields):
    """One stated fact in a subject's story, shaped like an action."""

    def __init__(self, fact_id: str, kind_event: str, organisation: str, actor: str, values: dict):
        self.id = UUID(fact_id)
        self.kind_event = kind_event
        self.organisation = organisation
        self.logged_by = actor
        self.retracted = False
        self.retraction_reason: str | None = None
        # The record's own version: 1 when stated, +1 per correction or retraction (the subject's
        # aggregate version counts every fact of the subject and is no number a user should see).
        self.version = 1
        self.facts = {}
        self.key = values.pop("key")
        for name, value in values.items():
            if name in COMMON_NAMES:
                setattr(self, name, value)
            else:
                self.facts[name] = value


class SubjectMixin:
    """Use cases shared by Chamber and Enterprise (each defines its own event classes and topics)."""

    SUBJECT_FIELD = ""  # the kind field that names the subject, which a correction may not change
    facts_by_id: dict

    def fact(self, fact_id: UUID) -> Fact:
        try:
            return self.facts_by_id[str(fact_id)]
        except KeyError:
            raise RecordNotFound(fact_id) from None

    def state(self, kind: Kind, *, fact_id: UUID, actor: str, **values: Any) -> None:
        if kind.aggregate != self.AGGREGATE:
            raise InvalidChange(f"{kind.key} is not a fact about a {self.AGGREGATE}")
        self.trigger_event(getattr(self, kind.event), fact_id=fact_id, actor=actor, **values)

    def correct_fact(self, fact_id: UUID, changes: dict, reason: str, actor: str) -> None:
        fact = self.fact(fact_id)
        if fact.retracted:
            raise RecordRetracted(f"record {fact_id} was retracted and cannot be corrected")
        reason = check_reason(reason)
        real = effective_changes(fact.kind, fact.fields(), changes)
        if self.SUBJECT_FIELD in real or ("organisation" in real):
            raise InvalidChange(
                f"a correction cannot move a fact to another {self.AGGREGATE}: retract it and log it again"
            )
        self.trigger_event(self.FactCorrected, fact_id=fact_id, changes=real, reason=reason, actor=actor)

    def retract_fact(self, fact_id: UUID, reason: str, actor: str) -> None:
        fact = self.fact(fact_id)
        if fact.retracted:
            raise RecordRetracted(f"record {fact_id} is already retracted")
        self.trigger_event(self.FactRetracted, fact_id=fact_id, reason=check_reason(reason), actor=actor)


def _state_fact(event: Any, subject: Any) -> None:
    values = {
        name: getattr(event, name)
        for name in ("key", "occurred_on", "ends_on", "title", "notes", "theme", "firms")
    }
    values.update(event.facts)
    subject.facts_by_id[str(event.fact_id)] = Fact(
        str(event.fact_id), type(event).__name__, subject.organisation, event.actor, values
    )


def _correct_fact(event: Any, subject: Any) -> None:
    fact = subject.facts_by_id[str(event.fact_id)]
    apply_changes(fact, event.changes)
    fact.version += 1


def _retract_fact(event: Any, subject: Any) -> None:
    fact = subject.facts_by_id[str(event.fact_id)]
    fact.retracted = True
    fact.retraction_reason = event.reason
    fact.version += 1


class Chamber(SubjectMixin, Aggregate):
    TOPIC = "taizhang:Chamber"
    AGGREGATE = "chamber"
    SUBJECT_FIELD = "chamber"

    class Event(Aggregate.Event):
        TOPIC = "taizhang:Chamber.Event"

    class Registered(Event, Aggregate.Created):
        TOPIC = "taizhang:Chamber.Registered"
        organisation: str
        name: str
        actor: str

    def __init__(self, organisation: str, name: str, actor: str):
        self.organisation = organisation
        self.name = name
        self.facts_by_id: dict[str, Fact] = {}

    class FactStated(Event):
        TOPIC = "taizhang:Chamber.FactStated"
        fact_id: UUID
        key: str
        occurred_on: date
        ends_on: date | None
        title: str
        notes: str
        theme: str
        actor: str
        firms: list
        facts: dict

        apply = _state_fact

    class ChamberFounded(FactStated):
        TOPIC = "taizhang:ChamberFounded"

    class ChamberPreparationStarted(FactStated):
        TOPIC = "taizhang:ChamberPreparationStarted"

    class ChamberElectionHeld(FactStated):
        TOPIC = "taizhang:ChamberElectionHeld"

    class MembershipCounted(FactStated):
        TOPIC = "taizhang:MembershipCounted"

    class FactCorrected(Event):
        TOPIC = "taizhang:Chamber.FactCorrected"
        fact_id: UUID
        changes: dict
        reason: str
        actor: str

        apply = _correct_fact

    class FactRetracted(Event):
        TOPIC = "taizhang:Chamber.FactRetracted"
        fact_id: UUID
        reason: str
        actor: str

        apply = _retract_fact


class Enterprise(SubjectMixin, Aggregate):
    TOPIC = "taizhang:Enterprise"
    AGGREGATE = "enterprise"
    SUBJECT_FIELD = "firms"

    class Event(Aggregate.Event):
        TOPIC = "taizhang:Enterprise.Event"

    class Registered(Event, Aggregate.Created):
        TOPIC = "taizhang:Enterprise.Registered"
        organisation: str
        name: str
        uscc: str | None
        actor: str

    def __init__(self, organisation: str, name: str, uscc: str | None, actor: str):
        self.organisation = organisation
        self.name = name
        self.uscc = uscc
        self.facts_by_id: dict[str, Fact] = {}

    class FactStated(Event):
        TOPIC = "taizhang:Enterprise.FactStated"
        fact_id: UUID
        key: str
        occurred_on: date
        ends_on: date | None
        title: str
        notes: str
        theme: str
        actor: str
        firms: list
        facts: dict

        apply = _state_fact

    class EnterpriseListed(FactStated):
        TOPIC = "taizhang:EnterpriseListed"

    class EnterpriseReserved(FactStated):
        TOPIC = "taizhang:EnterpriseReserved"

    class FactCorrected(Event):
        TOPIC = "taizhang:Enterprise.FactCorrected"
        fact_id: UUID
        changes: dict
        reason: str
        actor: str

        apply = _correct_fact

    class FactRetracted(Event):
        TOPIC = "taizhang:Enterprise.FactRetracted"
        fact_id: UUID
        reason: str
        actor: str

        apply = _retract_fact


class Entry(Aggregate):
    """The record id of a fact: points at the chamber or enterprise that holds it."""

    TOPIC = "taizhang:Entry"

    class Event(Aggregate.Event):
        TOPIC = "taizhang:Entry.Event"

    class Made(Event, Aggregate.Created):
        TOPIC = "taizhang:Entry.Made"
        owner_id: UUID
        kind_event: str

    def __init__(self, owner_id: UUID, kind_event: str):
        self.owner_id = owner_id
        self.kind_event = kind_event


SUBJECT_CLASSES = {"chamber": Chamber, "enterprise": Enterprise}
