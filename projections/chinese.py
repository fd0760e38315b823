"""Numbers, money and dates written the way a Chinese work summary writes them."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

YI = Decimal(100_000_000)
WAN = Decimal(10_000)


def _plain(number: Decimal) -> str:
    """2800 → '2800', 29.50 → '29.5', 1e9/1e8 → '10'."""
    text = format(number.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _wrap(number_text: str, unit: str, approx: str | None) -> str:
    """近 300 万元、约 300 人; 1000 余册、20 多家; 100 家以上、50 人左右; 12.5%."""
    if unit == "%":
        return f"{'约 ' if approx else ''}{number_text}%"
    if approx in ("近", "约"):
        return f"{approx} {number_text} {unit}".rstrip()
    if approx in ("余", "多"):
        return f"{number_text} {approx}{unit}"
    if approx in ("以上", "左右"):
        return f"{number_text} {unit}{approx}".replace("  ", " ")
    return f"{number_text} {unit}".rstrip()


def money(yuan, approx: str | None = None) -> str:
    """30 万元, 2800 万元, 10 亿元, 近 30 万元, 5000 元."""
    value = Decimal(str(yuan))
    if abs(value) >= YI and value % (YI / 100) == 0:
        return _wrap(_plain(value / YI), "亿元", approx)
    if abs(value) >= WAN:
        return _wrap(_plain((value / WAN).quantize(Decimal("0.01"))), "万元", approx)
    return _wrap(_plain(value), "元", approx)


def count(value, unit: str, approx: str | None = None) -> str:
    """7 场次, 1000 余册, 20 多家, 40 万人次 (large round counts in 万)."""
    number = Decimal(str(value))
    if number >= 100_000 and number % WAN == 0:
        return _wrap(_plain(number / WAN), "万" + unit, approx)
    return _wrap(_plain(number), unit, approx)


def measure(value, unit: str, approx: str | None = None) -> str:
    return money(value, approx) if unit == "元" else count(value, unit, approx)


def day(d: date) -> str:
    """2020年5月12日."""
    return f"{d.year}年{d.month}月{d.day}日"


ORDINALS = "一二三四五六七八九十"


def ordinal(n: int) -> str:
    """1 → 一, 11 → 十一 (for 一是/二是 and （一）（二）)."""
    if n <= 10:
        return ORDINALS[n - 1]
    if n < 20:
        return "十" + ORDINALS[n - 11]
    tens, ones = divmod(n, 10)
    return ORDINALS[tens - 1] + "十" + (ORDINALS[ones - 1] if ones else "")
