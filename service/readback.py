"""Does each stored event still read back as the application reads it? ``verify``'s ``decode``.

The application reads an event with eventsourcing's ``Mapper.to_domain_event``: resolve the topic,
decrypt and decompress (this ledger does neither), decode the state with the JSON transcoder (whose
object hook turns each ``{"_type_": name, "_data_": data}`` into a date, datetime, UUID or Decimal),
convert the originator id, upcast from the stored class version, build the object. Building that for
every event of the log was most of what ``verify`` cost, so this answers the same question from fewer
steps, and is never more lenient:

* what depends on the topic only is done once per topic with eventsourcing's own functions (resolve
  the topic, the id convertor, building an object of the class), and a topic that fails any of them
  sends each of its events through the full read;
* per event: the UTF-8 text, the same stdlib JSON scanner without the object hook (the hook changes
  no syntax) over the whole of it, a dict at the top, the stored class version equal to the class's (no upcast to run),
  and every custom-typed object decoded by its registered transcoding — found in the bytes, each
  ``"_type_"`` of the state accounted for by a plain ``{"_type_":"…","_data_":"…"}`` (an escape
  ``\\u`` anywhere, which could spell the key otherwise, sends the event through the full read).

Whatever this does not accept is read by ``to_domain_event`` itself, and its exception is the answer;
so an event accepted here is one the application reads, and an event refused is refused with the
application's own error.
"""
from __future__ import annotations

import json
import json.scanner
import re
from typing import Any, Callable
from uuid import UUID

from eventsourcing.persistence import (
    JSONTranscoder,
    StoredEvent,
    find_id_convertor,
    pass_through_convertor,
)
from eventsourcing.utils import resolve_topic

_CUSTOM = re.compile(rb'\{"_type_":"([^"\\]*)","_data_":"([^"\\]*)"\}')  # a custom-typed value, no escapes
_TYPE_KEY = b'"_type_"'
_CANONICAL = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
_UNREADABLE = None  # a topic whose events only the full read may answer


class ReadBack:
    """``decode(originator_id, version, topic, state)`` for ``projections.chain.verify``: returns when the
    application reads the event, raises the application's own error when it does not."""

    def __init__(self, mapper: Any, convert_id: Callable[[Any], Any] | None = None, uuid_ids: bool = True):
        self.mapper = mapper
        self.convert_id = convert_id  # the stored id as the recorder hands it to the mapper
        self.id_type = UUID if uuid_ids else str
        transcoder = mapper.transcoder
        self.quick = type(transcoder) is JSONTranscoder and mapper.cipher is None and mapper.compressor is None
        # the registered transcodings by their name's UTF-8 (the name as the stored bytes spell it)
        self.names = {name.encode(): t for name, t in transcoder.names.items()} if self.quick else {}
        # the scanner of the transcoder's decoder, less its object hook (the hook changes no syntax)
        self.scan = json.scanner.make_scanner(json.JSONDecoder())
        self.topics: dict[Any, int | None] = {}  # topic → its class's version, or _UNREADABLE
        self.full_reads = 0  # events read the whole way (for the bench and the curious)

    def __call__(self, originator_id: Any, version: int, topic: Any, state: Any) -> None:
        if not (self.quick and type(state) is bytes and self._reads(originator_id, topic, state)):
            self.full_reads += 1
            if self.convert_id is not None and isinstance(originator_id, str):
                originator_id = self.convert_id(originator_id)
            self.mapper.to_domain_event(StoredEvent(originator_id, version, topic, state))

    def _reads(self, originator_id: Any, topic: Any, state: bytes) -> bool:
        try:
            class_version = self.topics[topic]
        except KeyError:
            class_version = self.topics[topic] = self._probe(topic)
        except TypeError:  # an unhashable topic: not stored by the application
            return False
        if class_version is _UNREADABLE or b"\\u" in state:
            return False
        if not (type(originator_id) is self.id_type or (self.id_type is UUID and type(originator_id) is str
                                                         and _CANONICAL(originator_id))):
            return False  # an id the recorder would not hand over as it stands: the full read converts it
        if state[:1] != b"{":
            return False
        try:  # what JSONDecoder.decode does with text that starts with "{": one scan, nothing after it
            text = state.decode("utf8")
            data, end = self.scan(text, 0)
        except Exception:  # noqa: BLE001 - not UTF-8, not JSON (or nested past the stack): the full read says
            return False
        if end != len(text) or type(data) is not dict or data.get("class_version", 1) != class_version:
            return False  # not a dict of attributes, or an upcast to run: the full read does it
        marks = state.count(_TYPE_KEY)
        if marks:
            names, found = self.names, 0
            for name, text in _CUSTOM.findall(state):
                transcoding = names.get(name)
                if transcoding is None:
                    return False
                try:
                    transcoding.decode(text.decode())
                except Exception:  # noqa: BLE001 - the full read raises it, with the application's message
                    return False
                found += 1
            if found != marks:
                return False
        return True

    def _probe(self, topic: Any) -> int | None:
        """What the full read does with the topic alone, once: resolve it, find the id convertor, build an
        object of the class. The class's version when all of that works."""
        try:
            cls = resolve_topic(topic)
            if find_id_convertor(cls, self.id_type) is not pass_through_convertor:
                return _UNREADABLE  # each id converted on the way: left to the full read
            event = object.__new__(cls)
            object.__setattr__(event, "__dict__", {})
            class_version = getattr(cls, "class_version", 1)
        except Exception:  # noqa: BLE001 - every event of this topic then gets the full read's own error
            return _UNREADABLE
        return class_version if type(class_version) is int else _UNREADABLE
