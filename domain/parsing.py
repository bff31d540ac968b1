"""Turning what people type into domain values, with errors they can act on (exit 2).

Standard library only: the officer's client checks input with these before anything is sent, and
the server checks the same again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from domain.id_number import IdNumberError, mask_id_number, normalise_id_number
from domain.messages import Lang, current_lang, t


class InputError(ValueError):
    """Input that cannot be used: one line for the user; exit 2, nothing sent or changed."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_ID_REASONS: dict[str, tuple[str, str]] = {
    "length": ("应为18位", "must be 18 characters"),
    "characters": ("只能是数字，末位可为X", "digits only, the last may be X"),
    "birth_date": ("出生日期不存在", "the birth date does not exist"),
    "check_digit": ("校验码不符", "the check digit does not match"),
}


def id_reason(code: str, lang: Lang) -> str:
    zh, en = _ID_REASONS.get(code, (code, code))
    return en if lang == "en" else zh


def parse_id_number(raw: str) -> str:
    try:
        return normalise_id_number(raw)
    except IdNumberError as error:
        compact = "".join(raw.split())
        raise InputError(
            t("bad_id_number", reason=id_reason(error.code, current_lang()), masked=mask_id_number(compact))
        ) from None


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(t("bad_date", option=option, value=value)) from None


E = TypeVar("E", bound=StrEnum)


def parse_choice(enum: type[E], value: str | None, option: str) -> E | None:
    if value is None:
        return None
    try:
        return enum(value.strip())
    except ValueError:
        choices = "|".join(member.value for member in enum)
        raise InputError(t("bad_value", option=option, value=f"{value} ({choices})")) from None


def parse_since(value: str | None, option: str = "--since") -> dt.datetime | None:
    """A day as its first moment in China time (officials mean their own midnight)."""
    day = parse_date(value, option)
    return dt.datetime.combine(day, dt.time(), dt.timezone(dt.timedelta(hours=8))) if day else None


def parse_aid(values: list[str]) -> list[dict[str, str]]:
    items = []
    for value in values:
        item, sep, amount = value.rpartition(":")
        try:
            number = Decimal(amount.strip())
            if not sep or not item.strip() or not number.is_finite() or number <= 0:
                raise ValueError
        except (ValueError, InvalidOperation):
            raise InputError(t("bad_value", option="--aid ITEM:AMOUNT", value=value)) from None
        items.append({"item": item.strip(), "amount": str(number)})
    return items


def parse_responsible(values: list[str]) -> list[dict[str, str]]:
    people = []
    for value in values:
        name, sep, role = value.partition(":")
        if not sep or not name.strip() or not role.strip():
            raise InputError(t("bad_value", option="--responsible NAME:ROLE", value=value))
        people.append({"name": name.strip(), "role": role.strip()})
    return people


def parse_bool(value: str | None, option: str) -> bool | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in ("yes", "y", "true", "1", "是"):
        return True
    if lowered in ("no", "n", "false", "0", "否"):
        return False
    raise InputError(t("bad_value", option=option, value=f"{value} (yes|no)"))
