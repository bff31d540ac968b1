"""学籍 follow-through: the change a case's outcome needs on the national student register
(全国中小学生学籍信息管理系统) — restored to 在读, a transfer in or out, a suspension, 送教上门
taken onto the register, or the record closed. Standard library only (the CLI lists the actions)."""

from __future__ import annotations

from enum import StrEnum


class XuejiAction(StrEnum):
    resume = "resume"
    """恢复在读: back at their own school, or in an ordinary class (随班就读)."""
    transfer_in = "transfer_in"
    """转入: another school, a vocational or a special school takes them on."""
    suspend = "suspend"
    """休学（缓学）登记."""
    home_delivery = "home_delivery"
    """送教上门纳入学籍."""
    transfer_out = "transfer_out"
    """转出: moved out of the county or enrolled elsewhere."""
    close_record = "close_record"
    """学籍注销: died, or went abroad."""


RESUMED_PLACEMENTS = frozenset({"original_school"})
RESUMED_ARRANGEMENTS = frozenset({"inclusive_class"})
MOVED_REASONS = frozenset({"moved_out", "enrolled_elsewhere"})
CLOSED_REASONS = frozenset({"deceased", "abroad"})


def needed_action(
    *, outcome: str | None, placement: str | None, arrangement: str | None, exclude_reason: str | None
) -> XuejiAction | None:
    """The register change a closed case's outcome needs; None when it needs none (aid delivered,
    an exclusion that changes nobody's 学籍, a case not closed)."""
    if outcome == "returned":
        return XuejiAction.resume if placement in RESUMED_PLACEMENTS or placement is None else XuejiAction.transfer_in
    if outcome == "arranged":
        if arrangement in RESUMED_ARRANGEMENTS:
            return XuejiAction.resume
        if arrangement == "home_delivery":
            return XuejiAction.home_delivery
        if arrangement in ("suspension", "deferral"):
            return XuejiAction.suspend
        return XuejiAction.transfer_in
    if outcome == "excluded":
        if exclude_reason in MOVED_REASONS:
            return XuejiAction.transfer_out
        if exclude_reason in CLOSED_REASONS:
            return XuejiAction.close_record
    return None
