"""Evidence (佐证材料) of one record: the files attached to it, as events in the log.

One aggregate per record (its id is derived from the record's id), so attaching a file never changes
the record's own version. Each attachment is named by the SHA-256 digest of its bytes: the event
carries the digest, size, media type, original file name and actor, so the hash chain covers what
was attached, and ``verify`` can check the stored bytes against it. The bytes themselves are kept
outside the log (content-addressed, by the service). A file removed stays in the history with the
reason; attaching the same bytes again later attaches them anew.
"""
from __future__ import annotations

from eventsourcing.domain import Aggregate

from domain.errors import DomainError


class EvidenceNotFound(DomainError):
    def __init__(self, record_id, digest):
        super().__init__(f"record {record_id} has no attachment {digest}")
        self.record_id = record_id
        self.digest = digest


class Evidence(Aggregate):
    TOPIC = "taizhang:Evidence"

    class Event(Aggregate.Event):
        TOPIC = "taizhang:Evidence.Event"

    class Opened(Event, Aggregate.Created):
        TOPIC = "taizhang:Evidence.Opened"
        record_id: str

    def __init__(self, record_id: str):
        self.record_id = record_id
        self.files: dict[str, dict] = {}  # digest → what was attached (live attachments only)

    class EvidenceAttached(Event):
        TOPIC = "taizhang:EvidenceAttached"
        record_id: str
        digest: str
        size: int
        media_type: str
        filename: str
        actor: str

        def apply(self, aggregate: "Evidence") -> None:
            aggregate.files[self.digest] = {"digest": self.digest, "size": self.size, "media_type": self.media_type,
                                            "filename": self.filename, "actor": self.actor,
                                            "attached_at": self.timestamp.isoformat()}

    class EvidenceRemoved(Event):
        TOPIC = "taizhang:EvidenceRemoved"
        record_id: str
        digest: str
        reason: str
        actor: str

        def apply(self, aggregate: "Evidence") -> None:
            aggregate.files.pop(self.digest, None)

    def attach(self, *, digest: str, size: int, media_type: str, filename: str, actor: str) -> bool:
        """Attach a file; answers False (and records nothing) when these bytes are attached already."""
        if digest in self.files:
            return False
        self.trigger_event(self.EvidenceAttached, record_id=self.record_id, digest=digest, size=size,
                           media_type=media_type, filename=filename, actor=actor)
        return True

    def remove(self, *, digest: str, reason: str, actor: str) -> None:
        if digest not in self.files:
            raise EvidenceNotFound(self.record_id, digest)
        self.trigger_event(self.EvidenceRemoved, record_id=self.record_id, digest=digest, reason=reason,
                           actor=actor)
