"""Unique Pupil Numbers: the DfE check letter (UPN data standard v2.0)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules.upn import CHECK_LETTERS, InvalidUpn, check_letter, is_temporary, validate_upn

#: The standard's worked examples.
VECTORS = ("B801200005001", "P207000016049")


@pytest.mark.parametrize("upn", VECTORS)
def test_published_vectors_are_valid(upn: str) -> None:
    assert validate_upn(upn) == upn
    assert check_letter(upn[1:]) == upn[0]


def test_check_letter_by_hand() -> None:
    # 8*2 + 0*3 + 1*4 + 2*5 + 0*6 + 0*7 + 0*8 + 0*9 + 5*10 + 0*11 + 0*12 + 1*13 = 93;
    # 93 mod 23 = 1, and the table's value 1 is B.
    assert check_letter("801200005001") == "B"


def test_the_vendor_q_for_p207000016049_is_wrong() -> None:
    with pytest.raises(InvalidUpn, match="check letter"):
        validate_upn("Q207000016049")


@pytest.mark.parametrize("letter", [c for c in CHECK_LETTERS if c != "B"])
def test_any_other_check_letter_is_refused(letter: str) -> None:
    with pytest.raises(InvalidUpn):
        validate_upn(letter + "801200005001")


@pytest.mark.parametrize("letter", ["I", "O", "S"])
def test_excluded_letters_are_never_valid(letter: str) -> None:
    assert letter not in CHECK_LETTERS
    with pytest.raises(InvalidUpn):
        validate_upn(letter + "801200005001")  # as the check letter
    with pytest.raises(InvalidUpn):
        validate_upn(check_letter("80120000500A")[0] + "80120000500" + letter)  # as the last


def test_temporary_upn_final_letter_is_valued_by_the_table() -> None:
    # T is 16 in the table: 80 (the first eleven digits) + 16*13 = 288; 288 mod 23 = 12 -> N.
    assert CHECK_LETTERS.index("T") == 16
    assert check_letter("80120000500T") == "N"
    assert validate_upn("N80120000500T") == "N80120000500T"
    assert is_temporary("N80120000500T")
    assert not is_temporary("B801200005001")
    with pytest.raises(InvalidUpn):
        validate_upn("B80120000500T")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "B80120000500",  # 12 characters
        "B8012000050011",  # 14
        "8801200005001",  # no check letter
        "B80120000X001",  # a letter in the middle
        "BB01200005001",
        "B80120000500-",
        "B 801200005001",
    ],
)
def test_wrong_shapes_are_refused(text: str) -> None:
    with pytest.raises(InvalidUpn):
        validate_upn(text)


def test_lower_case_and_surrounding_space_are_normalised() -> None:
    assert validate_upn(" b801200005001 ") == "B801200005001"


def test_refusals_do_not_repeat_the_input() -> None:
    with pytest.raises(InvalidUpn) as caught:
        validate_upn("Q207000016049")
    assert "207000016049" not in str(caught.value)


BODIES = st.builds(
    lambda digits, last: digits + last,
    st.text(alphabet="0123456789", min_size=11, max_size=11),
    st.sampled_from("0123456789" + CHECK_LETTERS),
)


@given(BODIES)
def test_a_body_with_its_check_letter_always_validates(body: str) -> None:
    assert validate_upn(check_letter(body) + body) == check_letter(body) + body


@given(BODIES, st.integers(min_value=0, max_value=11), st.integers(min_value=1, max_value=9))
def test_changing_any_digit_breaks_the_check(body: str, position: int, delta: int) -> None:
    # Weights 2..13 and digit changes 1..9 are all below the prime 23, so no single change
    # can leave the sum unchanged mod 23.
    upn = check_letter(body) + body
    index = position + 1
    if not upn[index].isdigit():
        index = 1
    changed = upn[:index] + str((int(upn[index]) + delta) % 10) + upn[index + 1 :]
    with pytest.raises(InvalidUpn):
        validate_upn(changed)
