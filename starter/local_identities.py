"""The local stack's own identities: `up` makes the key pairs on this machine (it is the admin's
own machine) and registers only their public halves, exactly as `login` would.

`admin` always; with `--demo` also every person of the roster, so one person can try every
role on one machine. Restarting `up` keeps the keys already in the profile.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from domain.profile import Identity, Profile, new_private_key
from domain.roster import Roster
from domain.signing import public_key_of
from ledger.officers import set_public_key

ADMIN_NAME = "admin"
_ROSTER_ROLE_ORDER = ("section_chief", "office_head", "group_leader")


def _enrol(profile: Profile, session: Session, *, name: str, role: str, server: str) -> Identity:
    mine = [i for i in profile.identities if i.name == name and i.township is None]
    held = next((i for i in mine if i.server == server), None) or next(iter(mine), None)
    for stale in mine:
        if stale is not held:
            profile.remove(stale)  # the same person on this stack before (another port): one identity
    private = held.private_key if held else new_private_key()[0]
    public = public_key_of(Identity(0, name, role, None, server, private).signing_key())
    officer = set_public_key(session, name=name, role=role, township=None, public_key=public)
    identity = Identity(id=officer.id, name=name, role=officer.role, township=None, server=server, private_key=private)
    if held is not None:
        profile.remove(held)
    profile.add(identity, make_default=False)
    return identity


def enrol_local_identities(profile: Profile, session: Session, *, server: str, roster: Roster, demo: bool) -> int:
    """Returns how many identities the profile holds for this server afterwards."""
    admin = _enrol(profile, session, name=ADMIN_NAME, role="admin", server=server)
    current = profile.find_key(profile.default) if profile.default else None
    if current is None or current.server != server:
        profile.default = Profile.key_of(admin)
    if demo:
        for name, roles in sorted(roster.people().items()):
            role = next(r for r in _ROSTER_ROLE_ORDER if r in roles)
            _enrol(profile, session, name=name, role=role, server=server)
    profile.save()
    return sum(1 for i in profile.identities if i.server == server)
