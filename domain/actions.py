"""The Action aggregate: one logged piece of work, created by the event of its kind.

After creation an action only changes by ``Corrected`` (changed fields and a reason) or
``Retracted`` (a reason). A retracted action cannot be corrected. Every event carries the actor.
``occurred_on`` is when the work happened; the event's own timestamp is when it was recorded.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from domain.catalogue import KINDS_BY_EVENT, Kind
from domain.errors import InvalidChange, RecordRetracted
from domain.kinds import COMMON_NAMES, GENERIC_EVENT


def check_reason(reason: str) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidChange("a reason is required")
    return reason.strip()


def apply_changes(record: Any, changes: dict) -> None:
    """Apply changed fields to a record: common fields are attributes, the rest live in ``facts``."""
    facts = dict(record.facts)
    for name, value in changes.items():
        if name in COMMON_NAMES:
            setattr(record, name, value)
        elif value is None:
            facts.pop(name, None)
        else:
            facts[name] = value
    record.facts = facts


def effective_changes(kind: Kind, current: dict, changes: dict) -> dict:
    """The changes that really change something; unknown field names are refused."""
    allowed = set(COMMON_NAMES) | {f.name for f in kind.fields}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidChange(f"unknown fields for {kind.key}: {', '.join(unknown)}")
    real = {k: v for k, v in changes.items() if current.get(k) != v}
    if not real:
        raise InvalidChange("the correction changes nothing")
    start, end = real.get("occurred_on", current.get("occurred_on")), real.get("ends_on", current.get("ends_on"))
    if start and end and end < start:
        raise InvalidChange("结束日期早于开始日期 / the end date is before the start date")
    return real


class RecordFields:
    """What an action and a fact about a chamber or an enterprise have in common."""

    kind_event: str
    kind_key: str | None = None  # set for a kind an office declared (logged by KindLogged)
    facts: dict

    @property
    def kind_name(self) -> str:
        """The key of the record's kind: a built-in kind's from its event class, an office's as logged."""
        return self.kind_key or KINDS_BY_EVENT[self.kind_event].key

    @property
    def kind(self) -> Kind:
        """The built-in kind (an office's own kinds are in its template: the service resolves them)."""
        return KINDS_BY_EVENT[self.kind_event]

    def fields(self) -> dict:
        """The current values of every field, common and kind-specific, in one flat dict."""
        out = {name: getattr(self, name) for name in COMMON_NAMES}
        out.update(self.facts)
        return out


class Action(RecordFields, Aggregate):
    TOPIC = "taizhang:Action"

    class Event(Aggregate.Event):
        TOPIC = "taizhang:Action.Event"

    class Logged(Event, Aggregate.Created):
        """Base of every kind's creating event. Version 2 added ``ends_on``."""

        TOPIC = "taizhang:Action.Logged"
        class_version = 2
        key: str
        organisation: str
        occurred_on: date
        ends_on: date | None
        title: str
        notes: str
        theme: str
        actor: str
        firms: list
        facts: dict

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["ends_on"] = None

        def apply(self, aggregate: "Action") -> None:
            # The class of the creating event is the kind of the action.
            aggregate.kind_event = type(self).__name__

    def __init__(self, key, organisation, occurred_on, ends_on, title, notes, theme, actor, firms, facts,
                 kind_key=None):
        self.key = key
        self.kind_key = kind_key
        self.organisation = organisation
        self.occurred_on = occurred_on
        self.ends_on = ends_on
        self.title = title
        self.notes = notes
        self.theme = theme
        self.firms = list(firms)
        self.facts = dict(facts)
        self.logged_by = actor
        self.retracted = False
        self.retraction_reason: str | None = None

    # --- use cases on one action ---
    def correct(self, changes: dict, reason: str, actor: str, kind: Kind | None = None) -> None:
        if self.retracted:
            raise RecordRetracted(f"record {self.id} was retracted and cannot be corrected")
        reason = check_reason(reason)
        real = effective_changes(kind or self.kind, self.fields(), changes)
        self.trigger_event(self.Corrected, changes=real, reason=reason, actor=actor)

    def retract(self, reason: str, actor: str) -> None:
        if self.retracted:
            raise RecordRetracted(f"record {self.id} is already retracted")
        self.trigger_event(self.Retracted, reason=check_reason(reason), actor=actor)

    class Corrected(Event):
        TOPIC = "taizhang:Action.Corrected"
        changes: dict
        reason: str
        actor: str

        def apply(self, aggregate: "Action") -> None:
            apply_changes(aggregate, self.changes)

    class Retracted(Event):
        TOPIC = "taizhang:Action.Retracted"
        reason: str
        actor: str

        def apply(self, aggregate: "Action") -> None:
            aggregate.retracted = True
            aggregate.retraction_reason = self.reason

    # --- one creating event per kind of action (named as the action, past tense) ---
    class TrainingHeld(Logged):
        TOPIC = "taizhang:TrainingHeld"

    class TalkGiven(Logged):
        TOPIC = "taizhang:TalkGiven"

    class PolicyBookletIssued(Logged):
        TOPIC = "taizhang:PolicyBookletIssued"

    class JobFairHeld(Logged):
        TOPIC = "taizhang:JobFairHeld"

    class TaxGuidanceGiven(Logged):
        TOPIC = "taizhang:TaxGuidanceGiven"

    class MatchmakingHeld(Logged):
        TOPIC = "taizhang:MatchmakingHeld"

    class DealSigned(Logged):
        TOPIC = "taizhang:DealSigned"

    class LegalServiceGiven(Logged):
        TOPIC = "taizhang:LegalServiceGiven"

    class LitigationHelped(Logged):
        TOPIC = "taizhang:LitigationHelped"

    class ListingSupported(Logged):
        TOPIC = "taizhang:ListingSupported"

    class CapitalConferenceAttended(Logged):
        TOPIC = "taizhang:CapitalConferenceAttended"

    class SurveyConducted(Logged):
        TOPIC = "taizhang:SurveyConducted"

    class SymposiumHeld(Logged):
        TOPIC = "taizhang:SymposiumHeld"

    class PovertyReliefReported(Logged):
        TOPIC = "taizhang:PovertyReliefReported"

    class DonationMade(Logged):
        TOPIC = "taizhang:DonationMade"

    class CadreDeployed(Logged):
        TOPIC = "taizhang:CadreDeployed"

    class EpidemicCareProvided(Logged):
        TOPIC = "taizhang:EpidemicCareProvided"

    class AwardReceived(Logged):
        TOPIC = "taizhang:AwardReceived"

    class LivestreamHeld(Logged):
        TOPIC = "taizhang:LivestreamHeld"

    class ProblemNoted(Logged):
        TOPIC = "taizhang:ProblemNoted"

    class TargetSet(Logged):
        TOPIC = "taizhang:TargetSet"

    class ThemeTitleSet(Logged):
        TOPIC = "taizhang:ThemeTitleSet"

    class WorkDone(Logged):
        TOPIC = "taizhang:WorkDone"

    class KindLogged(Logged):
        """Work of a kind an office declared in its template: one event class for all of them, the
        kind named by ``kind_key`` (its fields are the template's, validated by the service)."""

        TOPIC = "taizhang:KindLogged"
        kind_key: str

    @classmethod
    def log(cls, kind: Kind, *, id, actor: str, **values: Any) -> "Action":
        if kind.event == GENERIC_EVENT:
            return cls._create(cls.KindLogged, id=id, actor=actor, kind_key=kind.key, **values)
        return cls._create(getattr(cls, kind.event), id=id, actor=actor, **values)


ACTION_EVENTS = {name: getattr(Action, name) for name, k in KINDS_BY_EVENT.items() if k.aggregate == "action"}
