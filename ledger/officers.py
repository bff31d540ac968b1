"""The officer registry: people with a stable id, a role, perhaps a township, and a public key
enrolled with a one-time code (docs/architecture.md, "Identity")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import and_, false, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain.enums import CHAIN_ROLES, TOWNSHIP_ROLES, Role
from ledger.models import Officer

_IDENTITY = ["name", "township"]
SEALER = "sealer"
"""The key of `Session.info` holding the function that seals a row (PersonalDataCipher.seal):
set by the server's sessions (starter/context.py); a session without one writes no seal."""


def sealed_text(officer: Officer) -> str:
    """What an officer's seal covers: who they are, what they may do, where reminders go, their key."""
    revoked = officer.revoked_at.isoformat() if officer.revoked_at else ""
    urls = "\x1e".join(officer.notify_urls or [])
    key = officer.public_key or ""
    text = "\x1f".join((str(officer.id), officer.name, officer.role, officer.township or "", key, revoked, urls))
    return f"{text}\x1fschool={officer.school}" if officer.school else text  # rows sealed before schools: as then


def seal_officer(session: Session, officer: Officer) -> None:
    """Seal the officer's row as it now stands (after every change the server makes to it)."""
    sealer = session.info.get(SEALER)
    if sealer is not None:
        session.flush()
        officer.seal = sealer(sealed_text(officer))


def altered_officers(session: Session, sealer: Callable[[str], str]) -> list[Officer]:
    """Officers whose row is not as the server last wrote it: changed in the database."""
    return [o for o in session.scalars(select(Officer).order_by(Officer.id)) if o.seal != sealer(sealed_text(o))]


def save_officer(
    session: Session,
    *,
    name: str,
    role: str,
    township: str | None,
    notify_urls: list[str] | None,
    code_hash: str | None = None,
    code_expires_at: dt.datetime | None = None,
    school: str | None = None,
) -> tuple[Officer, bool]:
    """Add an officer, or update the role and notify URLs of the one with this name in this
    township; a code hash (re-)opens enrolment. True when new."""
    existing = _by_identity(session, name=name, township=township)
    values: dict[str, object] = {"role": role, "school": school}
    if notify_urls is not None:
        values["notify_urls"] = notify_urls
    if code_hash is not None:
        values.update(enrol_code_hash=code_hash, enrol_expires_at=code_expires_at)
    session.execute(
        insert(Officer)
        .values({"name": name, "township": township, "notify_urls": [], **values})
        .on_conflict_do_update(index_elements=_IDENTITY, set_=values)
    )
    session.expire_all()
    officer = _by_identity(session, name=name, township=township)
    assert officer is not None
    seal_officer(session, officer)
    return officer, existing is None


def _by_identity(session: Session, *, name: str, township: str | None) -> Officer | None:
    township_is = Officer.township.is_(None) if township is None else Officer.township == township
    return session.scalars(select(Officer).where(Officer.name == name, township_is)).one_or_none()


def set_public_key(session: Session, *, name: str, role: str, township: str | None, public_key: str) -> Officer:
    """Register a key made on this machine (the local stack's own identities, tests): the officer
    is added in that role if new; any earlier key is replaced."""
    now = dt.datetime.now(dt.UTC)
    values = {"public_key": public_key, "enrolled_at": now, "revoked_at": None}
    session.execute(
        insert(Officer)
        .values(name=name, role=role, township=township, notify_urls=[], **values)
        .on_conflict_do_update(index_elements=_IDENTITY, set_=values)
    )
    session.expire_all()
    officer = _by_identity(session, name=name, township=township)
    assert officer is not None
    seal_officer(session, officer)
    return officer


def enrol(session: Session, *, code_hash: str, public_key: str, now: dt.datetime) -> Officer | None:
    """Take a one-time code: the officer's public key replaces any earlier one; the code is spent."""
    officer = session.scalars(
        select(Officer).where(Officer.enrol_code_hash == code_hash).with_for_update()
    ).one_or_none()
    if officer is None or officer.enrol_expires_at is None or officer.enrol_expires_at < now:
        return None
    officer.public_key = public_key
    officer.enrolled_at = now
    officer.revoked_at = None
    officer.enrol_code_hash = None
    officer.enrol_expires_at = None
    seal_officer(session, officer)
    return officer


def revoke(session: Session, *, officer: Officer, now: dt.datetime) -> None:
    officer.public_key = None
    officer.revoked_at = now
    officer.enrol_code_hash = None
    seal_officer(session, officer)


def get_officer(session: Session, *, officer_id: int) -> Officer | None:
    return session.get(Officer, officer_id)


def find_officers(session: Session, *, ref: str) -> list[Officer]:
    """`#ID` or ID, `NAME@TOWNSHIP` (the township with or without its suffix), or a NAME."""
    text = ref.strip()
    digits = text.removeprefix("#")
    if digits.isdigit():
        found = session.get(Officer, int(digits))
        return [found] if found else []
    name, sep, township = text.partition("@")
    query = select(Officer).where(Officer.name == name.strip()).order_by(Officer.id)
    if sep:
        query = query.where(Officer.township.startswith(township.strip()))
    return list(session.scalars(query))


def officers_for_case(
    session: Session, *, township: str, chain_names: set[str], school: str | None = None
) -> list[Officer]:
    """Everyone who may sign steps of a case: its township's case officers and lead, its chain,
    county, and — for a case a school reported — that school's officers."""
    reporters = and_(Officer.role == Role.school.value, Officer.school == school) if school else false()
    return list(
        session.scalars(
            select(Officer).where(
                Officer.public_key.is_not(None),
                or_(
                    Officer.role == Role.county.value,
                    and_(Officer.role.in_([r.value for r in TOWNSHIP_ROLES]), Officer.township == township),
                    Officer.name.in_(sorted(chain_names)),
                    reporters,
                ),
            )
        )
    )


def list_officers(session: Session) -> list[Officer]:
    return list(session.scalars(select(Officer).order_by(Officer.township, Officer.name, Officer.id)))


def default_case_officer(session: Session, *, township: str) -> tuple[str, int] | None:
    """The township's first registered case officer (name, id): who a new case is assigned to."""
    row = session.execute(
        select(Officer.name, Officer.id)
        .where(Officer.role == Role.case_officer.value, Officer.township == township, Officer.revoked_at.is_(None))
        .order_by(Officer.id)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def chain_officer_ids(session: Session, names: dict[Role, str]) -> dict[Role, int]:
    """The officer each person of a township's chain is: the one enrolled under that name in that
    role. A name enrolled twice in the same role is left out (never guessed)."""
    wanted = {(role.value, name) for role, name in names.items()}
    found: dict[Role, list[int]] = {}
    rows = session.execute(
        select(Officer.role, Officer.name, Officer.id).where(
            Officer.name.in_(sorted(names.values())), Officer.revoked_at.is_(None)
        )
    )
    for role, name, officer_id in rows:
        if (role, name) in wanted:
            found.setdefault(Role(role), []).append(officer_id)
    return {role: ids[0] for role, ids in found.items() if len(ids) == 1 and role in CHAIN_ROLES}
