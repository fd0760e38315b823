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


class OutOfScope(DomainError):
    """The user's organisation unit does not cover the record or organisation asked for (403): staff
    write in their own unit only; auditors and admins read their unit and every unit below it."""

    def __init__(self, organisation: str, unit_name: str, writing: bool):
        what = ("只能在本单位登记和更正", "may log and correct in their own unit only") if writing else \
            ("只能查看本单位及下级单位", "may read their own unit and the units below it only")
        super().__init__(f"{unit_name} 的用户{what[0]}，无权处理 {organisation} 的记录 / users of {unit_name} "
                         f"{what[1]}, not {organisation}'s records")
        self.organisation = organisation
        self.unit_name = unit_name
        self.writing = writing
