"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015): 18 characters, the last a check character."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return "length"
    if any(c not in ALPHABET for c in code):
        return "characters"
    if check_character(code[:17]) != code[17]:
        return "checksum"
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(code) is None


def make_uscc(seed: int, region: str = "420112") -> str:
    """A synthetic but valid code (for demo and test data): 9 + 1 + region + 9-char body + check."""
    body = ""
    n = seed
    for _ in range(9):
        body = ALPHABET[n % 31] + body
        n //= 31
    first17 = "91" + region + body
    return first17 + check_character(first17)
