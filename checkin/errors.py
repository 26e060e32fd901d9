"""Refusals of events, codes, check-ins and approvals.

Codes are checked in a fixed order (see `checkin.scans`), so one bad code always gets the same
answer: malformed, unknown key, bad signature, wrong community, expired or not yet valid,
then the event (cancelled, closed, not open), the member (not a team member), an existing
check-in (answered with that check-in, not refused) and finally capacity.
"""

# Chinese messages take full-width punctuation, not confusables.
# ruff: noqa: RUF001

from __future__ import annotations

from ledger.errors import Refusal


class TokenMalformed(Refusal):
    code = "token_malformed"
    message_en = "This is not a Jifen code."
    message_zh = "这不是有效的积分二维码。"


class TokenUnknownKey(Refusal):
    code = "token_unknown_key"
    message_en = "This code was signed with a key we do not know."
    message_zh = "二维码的签名密钥无法识别。"


class TokenBadSignature(Refusal):
    code = "token_bad_signature"
    message_en = "This code's signature does not match; it may have been altered."
    message_zh = "二维码签名不符，可能已被篡改。"


class TokenExpired(Refusal):
    code = "token_expired"
    message_en = "This code has expired; scan the code on the screen now."
    message_zh = "二维码已过期，请扫描现场屏幕上的最新二维码。"


class TokenNotYetValid(Refusal):
    code = "token_not_yet_valid"
    message_en = "This code is not valid yet; check the device's clock."
    message_zh = "二维码尚未生效，请检查设备时间。"


class WrongCommunity(Refusal):
    code = "wrong_community"
    message_en = "This code belongs to another community."
    message_zh = "该二维码属于其他社区。"


class EventNotOpen(Refusal):
    code = "event_not_open"
    message_en = "Check-in for this event has not opened yet."
    message_zh = "该活动尚未开放签到。"


class EventClosed(Refusal):
    code = "event_closed"
    message_en = "This event is closed."
    message_zh = "该活动已结束。"


class EventCancelled(Refusal):
    code = "event_cancelled"
    message_en = "This event was cancelled."
    message_zh = "该活动已取消。"


class CapacityReached(Refusal):
    code = "capacity_reached"
    message_en = "This event is full."
    message_zh = "该活动名额已满。"


class NotTeamMember(Refusal):
    code = "not_team_member"
    message_en = "This event is for members of its team only."
    message_zh = "该活动仅限本队队员参加。"


class NotCheckedIn(Refusal):
    code = "not_checked_in"
    message_en = "There is no check-in to check out of."
    message_zh = "尚未签到，无法签退。"


class CheckoutNotRequired(Refusal):
    code = "checkout_not_required"
    message_en = "This event has no check-out."
    message_zh = "该活动无需签退。"


class InvalidTransition(Refusal):
    code = "invalid_transition"
    message_en = "The event cannot change to that state now."
    message_zh = "活动当前无法变更为该状态。"


class NotPending(Refusal):
    code = "not_pending"
    message_en = "This check-in was already approved or rejected."
    message_zh = "该签到已审核。"


class SelfApproval(Refusal):
    code = "self_approval"
    message_en = "Nobody approves their own check-in; ask another captain or an admin."
    message_zh = "不能审核自己的签到，请由其他队长或管理员审核。"


class CheckoutPending(Refusal):
    code = "checkout_pending"
    message_en = "The member has not checked out yet; approve after check-out or the event's end."
    message_zh = "队员尚未签退，请在签退或活动结束后审核。"


class NotReversible(Refusal):
    code = "not_reversible"
    message_en = "Only a credited check-in can be reversed, and only once."
    message_zh = "只有已入账的签到可以冲正，且只能冲正一次。"


class RulesetNotFound(Refusal):
    code = "ruleset_not_found"
    message_en = "No such rule set."
    message_zh = "没有这个积分规则版本。"
