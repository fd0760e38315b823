"""Domain errors: what a use case can refuse, in words a caller can show."""


class DomainError(Exception):
    """Base class of every refusal the domain makes."""


class RecordNotFound(DomainError):
    def __init__(self, record_id):
        super().__init__(f"no record {record_id}")
        self.record_id = record_id


class RecordRetracted(DomainError):
    """A retracted record cannot be corrected or retracted again."""


class ConflictError(DomainError):
    """The record changed since the caller read it: nothing was written."""

    def __init__(self, record_id, expected_version, actual_version):
        super().__init__(
            f"record {record_id} is at version {actual_version}, not {expected_version}: "
            "someone else changed it meanwhile; nothing was written"
        )
        self.record_id = record_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class InvalidChange(DomainError):
    """A correction that changes nothing, names unknown fields, or lacks a reason."""


class UnknownKind(DomainError):
    def __init__(self, kind):
        super().__init__(f"unknown kind of action: {kind}")
        self.kind = kind


class KeyReused(DomainError):
    """An idempotency key already names a record whose logged content differs: nothing was written.

    ``stored`` and ``given`` are the two versions (as the kind's JSON), for the caller to show.
    """

    def __init__(self, record_id, key, stored, given):
        super().__init__(f"幂等键 {key} 已用于内容不同的另一条记录，未保存 / the key {key} was used before for "
                         f"a record with different content; nothing was stored")
        self.record_id = record_id
        self.key = key
        self.stored = stored
        self.given = given
