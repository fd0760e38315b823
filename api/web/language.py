"""The page's language: Chinese (the default) or English, for labels given in both, and for the
service's messages written "中文 / English" (``in_language``: the page shows one side only)."""
from __future__ import annotations

import re
from typing import Any

from flask_babel import get_locale


def is_zh() -> bool:
    return get_locale().language == "zh"


def label(item: Any) -> str:
    """The label of a catalogue item (``{"zh", "en"}``, ``(zh, en)`` or an object with ``.zh``/``.en``)."""
    if isinstance(item, dict):
        return item["zh"] if is_zh() else item["en"]
    if isinstance(item, (tuple, list)):
        return item[0] if is_zh() else item[1]
    return item.zh if is_zh() else item.en


_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_FIELD_PREFIX = re.compile(r"^((?:[\w\-]+(?:\.[\w\-]+)*): )")
_SEPARATORS = re.compile(r"(; |；|\n)")


def one_side(message: str, zh: bool) -> str:
    """One "中文 / English" message in one language: the Chinese half or the English half.

    A message without that shape (no " / ", or no Chinese before it) is left as it is. A field path
    before the message ("firms.0.uscc: …") is kept on either side."""
    prefix = ""
    match = _FIELD_PREFIX.match(message)
    if match and not _CJK.search(match.group(1)):
        prefix, message = match.group(1), message[match.end():]
    if " / " not in message:
        return prefix + message
    left, right = message.split(" / ", 1)
    if not _CJK.search(left) or not right.strip():
        return prefix + message
    return prefix + (left if zh else right)


def in_language(text: Any, zh: bool | None = None) -> Any:
    """The service's bilingual messages ("必填 / required", several joined by "; ") in the page's language
    only. Anything that is not text (or has no such message in it) is answered unchanged."""
    if not isinstance(text, str) or " / " not in text:
        return text
    zh = is_zh() if zh is None else zh
    parts = _SEPARATORS.split(text)
    return "".join(part if _SEPARATORS.fullmatch(part) else one_side(part, zh) for part in parts)
