"""Words of the clerk pages: key -> (Chinese, English). Keys start with "ck_"."""

# Chinese text takes full-width punctuation; it is no confusable here.
# ruff: noqa: RUF001

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "ck_title": ("收银台", "Counter"),
    "ck_confirm_title": ("确认兑换", "Confirm the redemption"),
    "ck_confirm": ("确认交付", "Confirm hand-over"),
    "ck_cancel": ("取消兑换", "Cancel"),
    "ck_member": ("居民账号", "Member account"),
    "ck_reward": ("兑换品", "Reward"),
    "ck_shop": ("商户", "Shop"),
    "ck_hold_until": ("请在 {t} 前确认", "Confirm before {t}"),
    "ck_hold_hint": (
        "积分已冻结。交付物品后点“确认交付”；不交付请点“取消兑换”。",
        "The points are held. Hand over the reward, then confirm; otherwise cancel.",
    ),
    "ck_done": ("已确认", "Confirmed"),
    "ck_done_hint": ("积分已转入本店，请交付物品。", "The points went to the shop: hand over."),
    "ck_voided": ("已取消", "Cancelled"),
    "ck_voided_hint": ("积分已退回居民。", "The points went back to the member."),
    "ck_lapsed": ("已超时", "Timed out"),
    "ck_lapsed_hint": (
        "未在时限内确认，积分已退回居民。请让居民重新生成兑换码。",
        "Not confirmed in time; the points went back. Ask for a new code.",
    ),
    "ck_choose_shop": ("您在哪家店？", "Which shop are you at?"),
    "ck_code_for": ("兑换码所属商户", "This code is for"),
    "ck_today": ("今日兑换", "Today's redemptions"),
    "ck_none_today": ("今天还没有兑换。", "No redemptions today."),
    "ck_today_total": ("已确认 {n} 笔，共 {p} 分", "{n} confirmed, {p} points"),
    "ck_scan_hint": (
        "用手机相机扫描居民出示的兑换码即可打开确认页；扫不了时可输入兑换码：",
        "Scan the member's code with the phone camera to open the confirm page, or type it:",
    ),
    "ck_code_input": ("兑换码或链接", "Code or link"),
    "ck_open": ("打开", "Open"),
    "ck_statement": ("对账单", "Statement"),
    "ck_from": ("开始日期", "From"),
    "ck_to": ("结束日期", "To"),
    "ck_show": ("查询", "Show"),
    "ck_csv": ("下载 CSV", "Download CSV"),
    "ck_opening": ("期初余额", "Opening balance"),
    "ck_closing": ("期末余额", "Closing balance"),
    "ck_redeemed": ("兑换", "Redemptions"),
    "ck_refunded": ("退还", "Refunds"),
    "ck_settled": ("结算", "Settled"),
    "ck_received": ("净收积分", "Points received"),
    "ck_kind_redemption": ("兑换", "Redemption"),
    "ck_kind_refund": ("退还", "Refund"),
    "ck_kind_settlement": ("结算", "Settlement"),
    "ck_kind_other": ("其他", "Other"),
    "ck_time": ("时间", "Time"),
    "ck_points": ("积分", "Points"),
    "ck_kind": ("类型", "Kind"),
    "ck_lines": ("明细", "Lines"),
    "ck_no_lines": ("这段时间没有记录。", "Nothing in this period."),
    "ck_truncated": (
        "只显示前 {n} 行，完整内容请下载 CSV。",
        "Showing the first {n} lines; download the CSV for all.",
    ),
    "ck_refused": ("无法处理", "Cannot proceed"),
    "ck_back": ("返回收银台", "Back to the counter"),
    "ck_scanned_at": ("扫码时间", "Scanned"),
    "ck_count": (" 笔", ""),
}
