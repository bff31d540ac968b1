"""Resident ID numbers (GB 11643-1999): normalising, the check digit, birth date, age, masking."""

from __future__ import annotations

import datetime as dt
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")


class IdNumberError(ValueError):
    """Why an ID number is not valid; `code` names the rule for messages in either language."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code if not detail else f"{code}: {detail}")
        self.code = code
        self.detail = detail


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise_id_number(raw: str) -> str:
    """Full-width digits to ASCII, spaces removed, a lower-case x upper-cased; then validated."""
    text = "".join(raw.translate(_FULL_WIDTH).split()).replace("\u3000", "").upper()
    if len(text) != 18:
        raise IdNumberError("length", str(len(text)))
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise IdNumberError("characters")
    birth_date_of(text)
    if check_digit(text[:17]) != text[17]:
        raise IdNumberError("check_digit")
    return text


def birth_date_of(id_number: str) -> dt.date:
    try:
        born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        raise IdNumberError("birth_date", id_number[6:14]) from None
    if born.year < 1900:
        raise IdNumberError("birth_date", id_number[6:14])
    return born


def age_on(id_number: str, on: dt.date) -> int:
    """Age in full years on a date: the birthday itself counts."""
    born = birth_date_of(id_number)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def mask_id_number(id_number: str) -> str:
    """`500243**********12`: region code and the last two characters only."""
    if len(id_number) < 8:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 8) + id_number[-2:]


def make_id_number(region: str, born: dt.date, sequence: int) -> str:
    """A synthetic ID number with a valid check digit (tests, demos, generators)."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


_LONG_DIGITS = re.compile(r"[0-9０-９]{15,}[0-9０-９XxＸｘ]?")


def mask_long_digits(text: str) -> str:
    """Any run of 15 or more digits masked as an ID number is: a shifted column must not carry a
    full ID number into a rejects list."""
    return _LONG_DIGITS.sub(lambda m: mask_id_number(m.group(0)), text)
