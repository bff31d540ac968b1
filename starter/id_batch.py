"""Validating a whole column of ID numbers at once (numpy), for registers of 100,000s of rows.

Same rules and error codes as domain.id_number.normalise_id_number, which stays the reference
(a test holds the two to the same answers on messy input).
"""

from __future__ import annotations

import numpy as np

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK_CODES = np.frombuffer(b"10X98765432", dtype=np.uint8).astype(np.int64)
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_X = ord("X")


def normalise_ids(values: list[str]) -> tuple[list[str | None], list[str | None]]:
    """(normalised ID or None, error code or None) for each value, the error codes those of
    normalise_id_number in its order: missing, length, characters, birth_date, check_digit."""
    n = len(values)
    if n == 0:
        return [], []
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=n)
    cleaned = list(values)
    for i in np.flatnonzero(lengths != 18).tolist():
        cleaned[i] = "".join(cleaned[i].split())
        lengths[i] = len(cleaned[i])
    codes = np.array(cleaned, dtype="U18").view(np.int32).reshape(n, 18)
    if (codes > 0x7A).any():
        full_width = (codes >= 0xFF10) & (codes <= 0xFF19)
        codes = np.where(full_width, codes - 0xFEE0, codes)
        codes = np.where((codes == 0xFF58) | (codes == 0xFF38), _X, codes)
    codes = np.where(codes == ord("x"), _X, codes)
    digits = codes - 48
    length_ok = lengths == 18
    head_ok = ((digits[:, :17] >= 0) & (digits[:, :17] <= 9)).all(axis=1)
    last_ok = ((digits[:, 17] >= 0) & (digits[:, 17] <= 9)) | (codes[:, 17] == _X)
    chars_ok = length_ok & head_ok & last_ok
    safe = np.where(chars_ok[:, None], digits, 0)
    year = safe[:, 6] * 1000 + safe[:, 7] * 100 + safe[:, 8] * 10 + safe[:, 9]
    month = safe[:, 10] * 10 + safe[:, 11]
    day = safe[:, 12] * 10 + safe[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days_in_month = _DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    date_ok = (year >= 1900) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= days_in_month)
    check_ok = codes[:, 17] == _CHECK_CODES[(safe[:, :17].astype(np.int64) @ _WEIGHTS) % 11]
    valid_mask = chars_ok & date_ok & check_ok
    normalised = np.ascontiguousarray(codes, dtype=np.int32).view("U18").reshape(n).tolist()
    ids: list[str | None] = [v if ok else None for v, ok in zip(normalised, valid_mask.tolist(), strict=True)]
    errors: list[str | None] = [None] * n
    for i in np.flatnonzero(~valid_mask).tolist():
        if not cleaned[i]:
            errors[i] = "missing"
        elif not length_ok[i]:
            errors[i] = "length"
        elif not chars_ok[i]:
            errors[i] = "characters"
        elif not date_ok[i]:
            errors[i] = "birth_date"
        else:
            errors[i] = "check_digit"
    return ids, errors


def ages_on(ids: list[str], year: int, month: int, day: int) -> list[int]:
    """Full years on a date for valid, normalised ID numbers (the birthday itself counts)."""
    if not ids:
        return []
    digits = np.array(ids, dtype="U18").view(np.uint32).reshape(len(ids), 18).astype(np.int64) - 48
    born_year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    born_md = (digits[:, 10] * 10 + digits[:, 11]) * 100 + digits[:, 12] * 10 + digits[:, 13]
    return (year - born_year - ((month * 100 + day) < born_md)).tolist()
