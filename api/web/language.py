"""The page's language: Chinese (the default) or English, for labels given in both."""
from __future__ import annotations

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
