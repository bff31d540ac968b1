"""The fixed vocabulary: these values appear in the CLI, the ledger and reports."""

from enum import StrEnum


class CaseKind(StrEnum):
    dropout = "dropout"
    disability = "disability"
    funding = "funding"


class Stage(StrEnum):
    discovery = "discovery"
    home_visit = "home_visit"
    return_plan = "return_plan"
    return_confirmation = "return_confirmation"
    closure = "closure"
    closed = "closed"


class Finding(StrEnum):
    confirmed = "confirmed"
    excluded = "excluded"
    whereabouts_unknown = "whereabouts_unknown"
    """下落不明 (人户分离, not found): not an exclusion — the case stays at the home visit, flagged,
    still escalating, until a visit finds the child."""


class ExcludeReason(StrEnum):
    enrolled_elsewhere = "enrolled_elsewhere"
    moved_out = "moved_out"
    deceased = "deceased"
    abroad = "abroad"
    """出国/出境, with the exit record."""
    over_age = "over_age"
    duplicate = "duplicate"
    other = "other"


SCHOOL_PROVEN_EXCLUSIONS = (ExcludeReason.enrolled_elsewhere, ExcludeReason.moved_out)
"""Exclusions that name the school the child is enrolled at, with the 学籍号."""


class Placement(StrEnum):
    original_school = "original_school"
    transfer = "transfer"
    vocational = "vocational"
    special_school = "special_school"


class Arrangement(StrEnum):
    inclusive_class = "inclusive_class"
    special_school = "special_school"
    home_delivery = "home_delivery"
    suspension = "suspension"
    deferral = "deferral"


TIME_LIMITED_ARRANGEMENTS = (Arrangement.suspension, Arrangement.deferral)
"""休学 and 缓学: arranged until a date, then the case reopens to check the return."""
WATCHED_ARRANGEMENTS = (Arrangement.inclusive_class, Arrangement.special_school, Arrangement.home_delivery)
"""Arrangements watched by follow-up checks after closure, as a return to school is."""


class EducationLevel(StrEnum):
    preschool = "preschool"
    compulsory = "compulsory"
    senior_high = "senior_high"
    higher = "higher"
    vocational = "vocational"


class AidChannel(StrEnum):
    school = "school"
    household = "household"
    person = "person"


class Role(StrEnum):
    case_officer = "case_officer"
    township_lead = "township_lead"
    """乡镇教育管理中心负责人: reads and acts on the township's cases, may close them, copied at level 0."""
    section_chief = "section_chief"
    office_head = "office_head"
    group_leader = "group_leader"
    county = "county"
    admin = "admin"
    """系统管理员: officers, campaigns, registers, discovery, retention, keys; reads no case."""
    school = "school"
    """学校控辍保学专干: one school's reporter (its attendance, its absent pupils); reads no case."""
    township_gov = "township_gov"
    """乡镇长或分管领导 (the government line of 双线责任): copied on the township's level-1
    reminders and named on its report line; reads and acts on no case."""
    village_cadre = "village_cadre"
    """村（社区）干部 (the government line's village end): copied as the township's government line."""


CHAIN_ROLES = (Role.section_chief, Role.office_head, Role.group_leader)
"""The roster's people for a township (包片责任制), up whom a late step escalates."""
REVIEWER_ROLES = (Role.township_lead, Role.section_chief, Role.office_head, Role.group_leader, Role.county)
EXCLUSION_CLOSERS = (Role.section_chief, Role.office_head, Role.group_leader, Role.county)
"""Who closes an exclusion (排除) so that it counts toward 清零: the section chief's level or above."""
TOWNSHIP_ROLES = (Role.case_officer, Role.township_lead)
"""Roles registered for one township, whose scope is that township."""
GOVERNMENT_ROLES = (Role.township_gov, Role.village_cadre)
"""The government line (双线责任), registered for one township: told, never acting."""


class Outcome(StrEnum):
    returned = "returned"
    arranged = "arranged"
    aid_delivered = "aid_delivered"
    excluded = "excluded"
    merged = "merged"
    """The same child's case under an ID number was found: this one closed into it (合并)."""


OUTCOME_OF_KIND = {
    CaseKind.dropout: Outcome.returned,
    CaseKind.disability: Outcome.arranged,
    CaseKind.funding: Outcome.aid_delivered,
}
"""What a confirmed return closes a case of each kind as."""


class EventType(StrEnum):
    """The case's own events. A step's event is named by its declaration (domain/step_specs.py)."""

    opened = "opened"
    escalated = "escalated"
    roster_changed = "roster_changed"
    restored = "restored"
    reopened = "reopened"
    """A closed case opened again as a new episode: relapse, an arrangement ended, or discovery."""
    merged = "merged"
    """A provisional case identified as a child who already had a case: closed into that one."""
    merged_in = "merged_in"
    """The kept case of a merge: the other case's number, township and progress it took on."""
    exclusion_sampled = "exclusion_sampled"
    """A closed exclusion drawn for the group's check (组长抽查)."""


class AttemptMethod(StrEnum):
    """How a persuasion attempt was made: a home visit, a call, at school, through the village."""

    visit = "visit"
    phone = "phone"
    school = "school"
    village = "village"
