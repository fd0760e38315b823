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
