"""Words of the member pages: key -> (Chinese, English)."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {}

# The reward pages (reward_pages.py, and the states the clerk pages share); keys "rw_".
# Chinese text takes full-width punctuation; it is no confusable here.
# ruff: noqa: RUF001
WORDS.update(
    {
        "rw_title": ("积分兑换", "Rewards"),
        "rw_mine": ("我的兑换", "My redemptions"),
        "rw_can_afford": ("现在可以兑换", "You can redeem now"),
        "rw_need_more": ("积分还不够", "Not enough points yet"),
        "rw_short_by": ("还差 {n} 分", "{n} points short"),
        "rw_redeem": ("兑换", "Redeem"),
        "rw_stock": ("库存 {n}", "{n} left"),
        "rw_unlimited": ("不限量", "Unlimited"),
        "rw_valid_until": ("兑换截止 {d}", "Until {d}"),
        "rw_limit_day": ("每人每天限 {n} 次", "{n} per person a day"),
        "rw_limit_month": ("每人每月限 {n} 次", "{n} per person a month"),
        "rw_limit_ever": ("每人限 {n} 次", "{n} per person"),
        "rw_supermarket": ("积分超市", "Points supermarket"),
        "rw_none": ("暂时没有可兑换的物品。", "No rewards on offer right now."),
        "rw_free_title": ("积分抵扣", "Pay with points"),
        "rw_free_hint": (
            "在本店消费时可用积分抵扣，每次最多 {n} 分。",
            "Spend points on a purchase here, up to {n} points at a time.",
        ),
        "rw_free_amount": ("抵扣积分", "Points to spend"),
        "rw_make_code": ("生成兑换码", "Get a code"),
        "rw_code_title": ("兑换码", "Redemption code"),
        "rw_show_clerk": ("请把二维码出示给店员扫描", "Show this code to the clerk"),
        "rw_valid_to": ("有效至 {t}", "Valid until {t}"),
        "rw_code_lapsed": ("兑换码已过期，请重新生成。", "This code has expired. Get a new one."),
        "rw_new_code": ("重新生成兑换码", "Get a new code"),
        "rw_scanned": (
            "店员已扫码，积分已冻结，请等待店员确认。",
            "The clerk scanned your code and your points are held; wait for them to confirm.",
        ),
        "rw_done": ("兑换成功", "Redeemed"),
        "rw_done_hint": ("积分已扣除，请向店员领取。", "Your points were spent: collect it."),
        "rw_cancelled": ("店员取消了本次兑换，积分已退回。", "The clerk cancelled: points back."),
        "rw_lapsed": (
            "本次兑换未在时限内确认，已自动取消，积分已退回。",
            "Not confirmed in time: cancelled, and your points are back.",
        ),
        "rw_spend": ("将使用 {n} 分", "{n} points"),
        "rw_back": ("返回兑换", "Back to rewards"),
        "rw_state_held": ("待确认", "Awaiting confirmation"),
        "rw_state_committed": ("已兑换", "Redeemed"),
        "rw_state_voided": ("已取消", "Cancelled"),
        "rw_state_expired": ("已超时", "Timed out"),
        "rw_refund_requested": ("退还审批中", "Refund pending"),
        "rw_refund_approved": ("已退还", "Refunded"),
        "rw_refund_rejected": ("退还未通过", "Refund declined"),
        "rw_no_redemptions": ("还没有兑换记录。", "Nothing redeemed yet."),
        "rw_refused": ("无法兑换", "Cannot redeem"),
        "rw_held_note": (
            "冻结的积分在店员确认后扣除，取消或超时则退回。",
            "Held points are spent when the clerk confirms, and come back if cancelled or not "
            "confirmed in time.",
        ),
    }
)
