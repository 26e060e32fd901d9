"""Words of the refund and settlement pages: key -> (Chinese, English). Keys start with "rf_";
the message after a change is "rf_done_<what>"."""

# Chinese text takes full-width punctuation; it is no confusable here.
# ruff: noqa: RUF001

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    # The clerk's redemption page.
    "rf_request": ("申请退还", "Request a refund"),
    "rf_request_hint": (
        "居民退回物品时，可在确认后 {n} 天内申请把积分退还给居民；社区管理员审批后积分才会退回。",
        "If the member returns the reward, ask within {n} days of the confirmation for the"
        " points to go back; they go back once a community admin approves.",
    ),
    "rf_reason": ("退还原因", "Reason"),
    "rf_back_redemption": ("返回兑换记录", "Back to the redemption"),
    "rf_state_requested": ("退还待审批", "Refund awaiting approval"),
    "rf_state_approved": ("已退还", "Refunded"),
    "rf_state_rejected": ("退还被拒绝", "Refund declined"),
    "rf_state_requested_hint": (
        "退还申请已提交，等待社区管理员审批。",
        "The refund request waits for a community admin.",
    ),
    "rf_state_approved_hint": ("积分已退还给居民。", "The points went back to the member."),
    "rf_state_rejected_hint": (
        "社区管理员拒绝了退还申请，可以重新申请。",
        "A community admin declined the refund; you may ask again.",
    ),
    "rf_done_requested": (
        "已提交退还申请，等待社区管理员审批。",
        "Refund requested; a community admin will decide.",
    ),
    # The admin's refunds page.
    "rf_nav_refunds": ("退还审批", "Refunds"),
    "rf_refunds_hint": (
        "店员为居民退回的兑换申请退还。批准后，积分从商户退还给居民（账本新增一条退还记录）。",
        "Clerks ask for refunds of returned rewards. Approving moves the points from the shop"
        " back to the member (a new refund entry in the ledger).",
    ),
    "rf_pending": ("待审批", "Waiting for a decision"),
    "rf_decided": ("已处理", "Decided"),
    "rf_no_pending": ("没有待审批的退还申请。", "No refund request is waiting."),
    "rf_no_decided": ("还没有处理过的退还申请。", "No refund request decided yet."),
    "rf_redemption": ("兑换", "Redemption"),
    "rf_shop": ("商户", "Shop"),
    "rf_member": ("居民", "Member"),
    "rf_points": ("积分", "Points"),
    "rf_asked_by": ("申请人", "Asked by"),
    "rf_asked_at": ("申请时间", "Asked"),
    "rf_decided_by": ("处理人", "Decided by"),
    "rf_decided_at": ("处理时间", "Decided"),
    "rf_state": ("状态", "State"),
    "rf_note": ("备注", "Note"),
    "rf_reject_reason": ("拒绝原因", "Why declined"),
    "rf_entry": ("账本序号", "Ledger seq"),
    "rf_approve": ("批准退还", "Approve"),
    "rf_reject": ("拒绝", "Decline"),
    "rf_done_approved": (
        "已批准：积分已退还给居民。",
        "Approved: the points went back to the member.",
    ),
    "rf_done_rejected": ("已拒绝该退还申请。", "The refund request was declined."),
    # The admin's settlements page.
    "rf_nav_settlements": ("商户结算", "Settlements"),
    "rf_settlements_hint": (
        "商户把收到的积分交回社区（换取相应的支付）。每个参考号只记一次。",
        "A shop hands its points back to the community (against whatever it is paid). Each"
        " reference is recorded once.",
    ),
    "rf_balances": ("商户积分余额", "Shop balances"),
    "rf_balance": ("可结算积分", "Points to settle"),
    "rf_no_shops": ("还没有商户。", "No shops yet."),
    "rf_new_settlement": ("记录结算", "Record a settlement"),
    "rf_f_shop_id": ("商户", "Shop"),
    "rf_f_amount_points": ("结算积分", "Points settled"),
    "rf_f_reference": ("参考号", "Reference"),
    "rf_f_reference_hint": (
        "字母、数字、“.”、“_”或“-”，例如 2026-03",
        "Letters, digits, '.', '_' or '-', e.g. 2026-03",
    ),
    "rf_f_note": ("备注", "Note"),
    "rf_record": ("记录结算", "Record"),
    "rf_past_settlements": ("结算记录", "Past settlements"),
    "rf_no_settlements": ("还没有结算记录。", "No settlements yet."),
    "rf_recorded_by": ("记录人", "Recorded by"),
    "rf_recorded_at": ("记录时间", "Recorded"),
    "rf_done_settled": ("已记录结算。", "Settlement recorded."),
}


def done_word(done: str | None) -> str | None:
    """`done` if the pages have a message for it ("rf_done_<done>"), else None."""
    return done if done is not None and f"rf_done_{done}" in WORDS else None
