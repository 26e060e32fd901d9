"""Refusals of redemption. Each has a stable code and changes nothing.

Refusals the ledger already names are raised as the ledger's own classes, so their codes are
the same everywhere: `insufficient_points`, `hold_expired`, `hold_already_resolved`.
"""

from __future__ import annotations

from ledger.errors import HoldAlreadyResolved, HoldExpired, InsufficientPoints, Refusal

__all__ = [
    "CodeAlreadyUsed",
    "CodeBadSignature",
    "CodeExpired",
    "CodeMalformed",
    "CodeUnknownKey",
    "FreeAmountNotAccepted",
    "FreeAmountTooLarge",
    "HoldAlreadyResolved",
    "HoldExpired",
    "InsufficientPoints",
    "LimitReached",
    "MemberInactive",
    "NotCommitted",
    "OutOfStock",
    "RefundAlreadyMade",
    "RefundAlreadyRequested",
    "RefundNotPending",
    "RefundWindowPassed",
    "RewardExpired",
    "RewardNotYetValid",
    "RewardWithdrawn",
    "ShopInactive",
    "WrongShop",
]


class OutOfStock(Refusal):
    code = "out_of_stock"
    message_en = "This reward is out of stock."
    message_zh = "该兑换品已无库存。"


class LimitReached(Refusal):
    code = "limit_reached"
    message_en = "You have reached the limit for this reward."
    message_zh = "您已达到该兑换品的兑换次数上限。"


class RewardNotYetValid(Refusal):
    code = "reward_not_yet_valid"
    message_en = "This reward cannot be redeemed yet."
    message_zh = "该兑换品尚未开始兑换。"


class RewardExpired(Refusal):
    code = "reward_expired"
    message_en = "This reward can no longer be redeemed."
    message_zh = "该兑换品已过兑换期。"


class RewardWithdrawn(Refusal):
    code = "reward_withdrawn"
    message_en = "This reward has been withdrawn."
    message_zh = "该兑换品已下架。"


class ShopInactive(Refusal):
    code = "shop_inactive"
    message_en = "This shop does not accept points at the moment."
    message_zh = "该商户暂停积分兑换。"


class MemberInactive(Refusal):
    code = "member_inactive"
    message_en = "This member's account is not active."
    message_zh = "该居民账户已停用。"


class FreeAmountNotAccepted(Refusal):
    code = "free_amount_not_accepted"
    message_en = "This shop does not accept a free amount of points."
    message_zh = "该商户不接受自定义积分金额。"


class FreeAmountTooLarge(Refusal):
    code = "free_amount_too_large"
    message_en = "The amount is above this shop's maximum."
    message_zh = "积分金额超过该商户的上限。"


class CodeMalformed(Refusal):
    code = "code_malformed"
    message_en = "This is not a redemption code."
    message_zh = "这不是有效的兑换码。"


class CodeBadSignature(Refusal):
    code = "code_bad_signature"
    message_en = "This redemption code's signature does not verify."
    message_zh = "兑换码签名无效。"


class CodeUnknownKey(Refusal):
    code = "code_unknown_key"
    message_en = "This redemption code was not signed by this community."
    message_zh = "兑换码不是本社区签发的。"


class CodeExpired(Refusal):
    code = "code_expired"
    message_en = "This redemption code has expired; show a new one."
    message_zh = "兑换码已过期。请重新生成。"


class CodeAlreadyUsed(Refusal):
    code = "code_already_used"
    message_en = "This redemption code was already used."
    message_zh = "兑换码已被使用。"


class WrongShop(Refusal):
    code = "wrong_shop"
    message_en = "This redemption code is for another shop."
    message_zh = "该兑换码属于其他商户。"


class NotCommitted(Refusal):
    code = "redemption_not_committed"
    message_en = "Only a confirmed redemption can be refunded."
    message_zh = "只有已确认的兑换才能退还。"


class RefundWindowPassed(Refusal):
    code = "refund_window_passed"
    message_en = "The time for refunding this redemption has passed."
    message_zh = "已超过退还期限。"


class RefundAlreadyMade(Refusal):
    code = "refund_already_made"
    message_en = "This redemption was already refunded."
    message_zh = "该兑换已退还过。"


class RefundAlreadyRequested(Refusal):
    code = "refund_already_requested"
    message_en = "A refund of this redemption is already waiting for approval."
    message_zh = "该兑换的退还申请正在等待审批。"


class RefundNotPending(Refusal):
    code = "refund_not_pending"
    message_en = "This refund request was already decided."
    message_zh = "该退还申请已处理。"
