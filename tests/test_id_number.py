from __future__ import annotations

import datetime as dt

import pytest

from domain.id_number import (
    IdNumberError,
    age_on,
    birth_date_of,
    check_digit,
    make_id_number,
    mask_id_number,
    normalise_id_number,
)

# A synthetic number whose check digit is X: region 500243, born 2013-04-05.
WITH_X = next(n for seq in range(1000) if (n := make_id_number("500243", dt.date(2013, 4, 5), seq)).endswith("X"))
PLAIN = make_id_number("500243", dt.date(2012, 6, 1), 21)


def test_check_digit_gb11643() -> None:
    # The standard's worked example: 11010519491231002 → X.
    assert check_digit("11010519491231002") == "X"
    assert normalise_id_number(PLAIN) == PLAIN


def test_lower_case_x_accepted() -> None:
    assert normalise_id_number(WITH_X.lower()) == WITH_X


def test_full_width_digits_and_spaces_normalised() -> None:
    full_width = PLAIN.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert normalise_id_number(f"  {full_width[:6]} {full_width[6:]}\u3000") == PLAIN


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (PLAIN[:-1] + ("0" if PLAIN[-1] != "0" else "1"), "check_digit"),
        (PLAIN[:17], "length"),
        (PLAIN[:10] + "A" + PLAIN[11:], "characters"),
        ("500243" + "20130230" + "0121", "birth_date"),
    ],
)
def test_invalid_numbers(raw: str, code: str) -> None:
    with pytest.raises(IdNumberError) as raised:
        normalise_id_number(raw)
    assert raised.value.code == code


def test_birth_date_and_age_boundaries() -> None:
    number = make_id_number("500243", dt.date(2010, 9, 1), 1)
    assert birth_date_of(number) == dt.date(2010, 9, 1)
    assert age_on(number, dt.date(2016, 9, 1)) == 6
    assert age_on(number, dt.date(2016, 8, 31)) == 5
    assert age_on(number, dt.date(2027, 9, 1)) == 17
    assert age_on(number, dt.date(2027, 8, 31)) == 16


def test_mask() -> None:
    assert mask_id_number("500243201304050120") == "500243**********20"
