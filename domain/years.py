"""A year of an organisation's ledger, closed with a seal.

Closing a year records a seal: the log position and hash-chain head at the close, and an HMAC of
both under a key kept outside the database. A correction of one of the year's actions after the
close is a post-close adjustment: the summary then shows the sealed figure and the adjusted one.
"""
from __future__ import annotations

import hashlib
import hmac as _hmac

from eventsourcing.domain import Aggregate

from domain.errors import DomainError


def seal_hmac(key: bytes, organisation: str, year: int, position: int, head: str) -> str:
    """HMAC-SHA256 over what a seal asserts: this organisation's year closed at this position and head."""
    message = f"taizhang-seal|{organisation}|{year}|{position}|{head}".encode()
    return _hmac.new(key, message, hashlib.sha256).hexdigest()


def seal_is_valid(key: bytes, organisation: str, year: int, position: int, head: str, mac: str) -> bool:
    return _hmac.compare_digest(seal_hmac(key, organisation, year, position, head), mac)


class YearAlreadyClosed(DomainError):
    pass


class Year(Aggregate):
    TOPIC = "taizhang:Year"

    class Event(Aggregate.Event):
        TOPIC = "taizhang:Year.Event"

    class Opened(Event, Aggregate.Created):
        TOPIC = "taizhang:Year.Opened"
        organisation: str
        year: int

    def __init__(self, organisation: str, year: int):
        self.organisation = organisation
        self.year = year
        self.seal: dict | None = None

    class Closed(Event):
        TOPIC = "taizhang:YearClosed"
        year: int
        organisation: str
        position: int
        head: str
        hmac: str
        actor: str
        note: str = ""  # the seal as an Ed25519-signed checkpoint note (seals made before: HMAC only)
        reason: str = ""  # an admin's reason for closing before every unit below had closed (an override)

        def apply(self, aggregate: "Year") -> None:
            aggregate.seal = {"position": self.position, "head": self.head, "hmac": self.hmac,
                              "note": getattr(self, "note", ""), "actor": self.actor,
                              "reason": getattr(self, "reason", ""),
                              "closed_at": self.timestamp.isoformat()}

    def close(self, *, position: int, head: str, hmac: str, actor: str, note: str = "", reason: str = "") -> None:
        if self.seal is not None:
            raise YearAlreadyClosed(f"{self.organisation} {self.year} was closed already")
        self.trigger_event(self.Closed, year=self.year, organisation=self.organisation, position=position,
                           head=head, hmac=hmac, actor=actor, note=note, reason=reason)
