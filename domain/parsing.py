"""Turning what people type into domain values, with errors they can act on (exit 2).

Standard library only: the officer's client checks input with these before anything is sent, and
the server checks the same again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from domain.beijing import china_midnight
from domain.errors import option_for
from domain.failure import EXIT_BAD_INPUT, Failure
from domain.i18n import N_, Lang, current_lang, translate
from domain.id_number import IdNumberError, birth_date_of, mask_id_number, normalise_id_number
from domain.labels import choices_of, code_of
from domain.messages import t
from domain.text import CONTROL_CHARACTERS
from domain.wire import canonical_json


class InputError(Failure, ValueError):
    """Input that cannot be used: one line for the user; exit 2, nothing sent or changed."""

    exit_code = EXIT_BAD_INPUT


_ID_REASONS: dict[str, str] = {
    "length": N_("应为18位"),
    "characters": N_("只能是数字，末位可为X"),
    "birth_date": N_("出生日期不存在"),
    "check_digit": N_("校验码不符"),
}


def id_reason(code: str, lang: Lang) -> str:
    return translate(_ID_REASONS.get(code, code), lang)


def parse_id_number(raw: str) -> str:
    try:
        return normalise_id_number(raw)
    except IdNumberError as error:
        compact = "".join(raw.split())
        raise InputError(
            t("bad_id_number", reason=id_reason(error.code, current_lang()), masked=mask_id_number(compact))
        ) from None


EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)
"""The days a person may type (a visit, a plan's target, a report's day): anything outside is a slip."""


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(t("bad_date", option=option, value=value)) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InputError(t("date_out_of_range", option=option, value=value, earliest=EARLIEST_DAY, latest=LATEST_DAY))
    return day


E = TypeVar("E", bound=StrEnum)


LABEL_CATEGORIES = {
    "CaseKind": "kind",
    "Stage": "stage",
    "Role": "role",
    "Finding": "finding",
    "Placement": "placement",
    "Arrangement": "arrangement",
    "ExcludeReason": "exclude_reason",
    "EducationLevel": "education_level",
    "AidChannel": "channel",
    "Outcome": "outcome",
    "RegisterKind": "register",
}
"""Which label table names an enum's values, so an option takes the words the tables show."""
WORD_ALIASES = {"辍学": "dropout", "失学": "dropout", "残疾": "disability", "资助": "funding"}
"""Short words people type for a kind, beside the tables' 失学辍学, 残疾儿童, 资助落实."""


def parse_choice(enum: type[E], value: str | None, option: str) -> E | None:
    """A choice by its code or by the Chinese (or English) words the tables show for it."""
    if value is None:
        return None
    text = value.strip()
    try:
        return enum(text)
    except ValueError:
        pass
    category = LABEL_CATEGORIES.get(enum.__name__)
    code = (code_of(category, text) if category else None) or WORD_ALIASES.get(text)
    if code is not None and code in {member.value for member in enum}:
        return enum(code)
    choices = "|".join(member.value for member in enum)
    raise InputError(t("bad_value", option=option, value=f"{value} ({choices})"))


def parse_word(category: str, value: str | None, option: str, codes: tuple[str, ...] | None = None) -> str | None:
    """A value of a label table (a register, a ledger, a method…) by its code or its words."""
    if value is None:
        return None
    code = code_of(category, value)
    if code is None or (codes is not None and code not in codes):
        raise InputError(t("bad_value", option=option, value=f"{value} ({choices_of(category)})"))
    return code


def parse_since(value: str | None, option: str = "--since") -> dt.datetime | None:
    """A day as its first moment in China time (officials mean their own midnight)."""
    day = parse_date(value, option)
    return china_midnight(day) if day else None


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


MAX_TEXT = 4000
MIN_PURPOSE = 4
AGE_LIMITS: dict[str, tuple[int, int]] = {"dropout": (6, 16), "disability": (6, 16), "funding": (3, 25)}
"""Ages in full years on the campaign's reference date: the notice's 6–16 for school-age children;
students of formerly poor households from preschool to higher education."""


MAX_ITEMS = 50
"""Entries in any one list of a step (measures, responsible persons, aid items, evidence)."""
MAX_STEP_BYTES = 64 * 1024
"""A step's fields as signed (canonical JSON, UTF-8): far above any real step, far below what a
workflow's history can carry (docs/security.md, "Limits")."""


def check_text(value: object, option: str, limit: int = MAX_TEXT) -> None:
    """Free text (a note, a reason, evidence…) of at most `limit` characters and no control
    characters, also inside lists (of at most MAX_ITEMS entries)."""
    if isinstance(value, str):
        if len(value) > limit:
            raise InputError(t("text_too_long", option=option, limit=limit, length=len(value)))
        if CONTROL_CHARACTERS.search(value):
            raise InputError(t("text_control_characters", option=option))
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_ITEMS:
            raise InputError(t("too_many_items", option=option, limit=MAX_ITEMS, count=len(value)))
        for item in value:
            check_text(item, option, limit)
    if isinstance(value, dict):
        for item in value.values():
            check_text(item, option, limit)


def check_fields(fields: dict[str, object]) -> None:
    """What an officer typed for a step or an opening: each field, and the whole as signed."""
    for key, value in fields.items():
        check_text(value, option_for(key))
    size = len(canonical_json(fields).encode())
    if size > MAX_STEP_BYTES:
        raise InputError(t("step_too_large", size=size // 1024, limit=MAX_STEP_BYTES // 1024))


def check_purpose(purpose: str | None) -> str:
    text = (purpose or "").strip()
    if len(text) < MIN_PURPOSE:
        raise InputError(t("purpose_required", minimum=MIN_PURPOSE))
    check_text(text, "--purpose")
    return text


def check_age(kind: str, id_number: str, *, reference: dt.date, today: dt.date) -> int:
    """The child's age on the reference date, if a case of this kind may be opened for them."""
    return check_age_born(kind, birth_date_of(id_number), reference=reference, today=today)


def check_age_born(kind: str, born: dt.date, *, reference: dt.date, today: dt.date) -> int:
    """As `check_age`, from the birth date itself (a child with no ID number: as the family says)."""
    if born > today:
        raise InputError(t("child_not_born", born=born.isoformat()))
    age = reference.year - born.year - ((reference.month, reference.day) < (born.month, born.day))
    low, high = AGE_LIMITS.get(kind, (0, 200))
    if not low <= age <= high:
        raise InputError(t("child_age", age=age, reference=reference.isoformat(), low=low, high=high))
    return age
