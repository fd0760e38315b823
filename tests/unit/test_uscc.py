"""统一社会信用代码 (GB 32100-2015): shape, alphabet and the check character."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.uscc import (
    ALPHABET,
    WEIGHTS,
    check_character,
    is_valid_uscc,
    make_uscc,
    uscc_problem,
)

# Codes published by the firms themselves (and the example printed in the standard).
PUBLISHED = ["91350100M000100Y43", "91440300708461136T", "91110000802100433B"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert uscc_problem(code) is None
    assert is_valid_uscc(code)
    assert check_character(code[:17]) == code[17]


def test_the_alphabet_leaves_out_the_letters_the_standard_excludes():
    assert len(ALPHABET) == 31
    for letter in "IOSVZ":
        assert letter not in ALPHABET


def test_the_weights_are_powers_of_three_modulo_31():
    assert WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


@pytest.mark.parametrize("code, problem", [
    ("91350100M000100Y4", "length"),
    ("91350100M000100Y433", "length"),
    ("", "length"),
    ("91350100M000100I43", "characters"),  # I is not in the alphabet
    ("91350100m000100Y43", "characters"),  # lower case is not normalised here
    ("91350100M000100Y4-", "characters"),
    ("91350100M000100Y44", "checksum"),
    ("91350100M000100Y4X", "checksum"),
])
def test_a_bad_code_is_named_by_its_problem(code, problem):
    assert uscc_problem(code) == problem
    assert not is_valid_uscc(code)


@pytest.mark.parametrize("position", range(18))
def test_every_single_character_change_of_a_valid_code_is_caught(position):
    code = PUBLISHED[0]
    for other in ALPHABET:
        if other == code[position]:
            continue
        changed = code[:position] + other + code[position + 1:]
        assert uscc_problem(changed) == "checksum", changed


@pytest.mark.parametrize("position", range(16))
def test_swapping_two_neighbouring_characters_is_caught(position):
    for seed in range(40):
        code = make_uscc(seed * 7919 + 13)
        a, b = code[position], code[position + 1]
        if a == b:
            continue
        swapped = code[:position] + b + a + code[position + 2:]
        assert uscc_problem(swapped) == "checksum", swapped


@given(st.integers(min_value=0, max_value=31 ** 9 - 1))
def test_synthetic_codes_are_valid_18_character_codes(seed):
    code = make_uscc(seed)
    assert len(code) == 18
    assert code.startswith("91420112")
    assert is_valid_uscc(code)


def test_synthetic_codes_differ_for_different_seeds():
    codes = {make_uscc(seed) for seed in range(5000)}
    assert len(codes) == 5000


def test_a_synthetic_code_takes_the_region_given():
    code = make_uscc(42, region="110105")
    assert code[2:8] == "110105"
    assert is_valid_uscc(code)


def test_a_check_character_of_31_wraps_to_zero():
    # 17 zeros sum to 0, whose check character is 0, not the 32nd character of the alphabet.
    assert check_character("0" * 17) == "0"
    assert is_valid_uscc("0" * 18)
