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

# The check-in page a venue code opens, and my personal code (checkin_pages.py); keys "ci_".
WORDS.update(
    {
        "ci_checked_in": ("已签到", "Checked in"),
        "ci_already": ("您已于 {t} 签到", "You checked in at {t}"),
        "ci_checked_out": ("已签退", "Checked out"),
        "ci_checked_out_at": ("签退时间 {t}", "Checked out at {t}"),
        "ci_event": ("活动", "Event"),
        "ci_place": ("地点", "Place"),
        "ci_time": ("时间", "Time"),
        "ci_team": ("服务队", "Team"),
        "ci_next": ("接下来", "What happens next"),
        "ci_wait_approval": (
            "请等待队长审核，通过后积分会自动入账。",
            "Wait for the captain's approval; the points are credited once approved.",
        ),
        "ci_checkout_later": (
            "本活动需要签退：结束时请再次扫描现场二维码，然后点“签退”。",
            "This event needs a check-out: at the end, scan the code on the screen again and "
            "press “Check out”.",
        ),
        "ci_checkout_now": (
            "结束服务时点下面的按钮签退。",
            "When you finish, press the button below to check out.",
        ),
        "ci_checkout": ("签退", "Check out"),
        "ci_credited": ("已入账 {n} 分", "{n} points credited"),
        "ci_auto": ("本活动自动审核，积分已入账。", "This activity is approved at once."),
        "ci_approved": ("已审核通过", "Approved"),
        "ci_rejected": ("未通过审核", "Not approved"),
        "ci_reason": ("原因：{r}", "Reason: {r}"),
        "ci_reversed": ("这笔积分已被冲正。", "These points were reversed."),
        "ci_auto_closed": (
            "活动结束时您尚未签退，已按结束时间自动签退，由队长核实。",
            "You had not checked out when the event ended; the captain will check the time.",
        ),
        "ci_refused": ("签到未成功", "Could not check in"),
        "ci_scan_again": (
            "请扫描现场屏幕上的最新二维码再试一次。",
            "Scan the code on the screen again to try once more.",
        ),
        "ci_to_history": ("查看积分明细", "See my points"),
        "ci_state_pending": ("待审核", "Awaiting approval"),
        "ci_state_approved": ("已通过", "Approved"),
        "ci_state_rejected": ("未通过", "Not approved"),
        "ci_state_reversed": ("已冲正", "Reversed"),
        "mc_title": ("我的二维码", "My code"),
        "mc_show_captain": (
            "请把二维码出示给队长扫描签到",
            "Show this code to the captain to be checked in",
        ),
        "mc_hint": (
            "没有带手机的邻居，也可以请队长为您打印二维码卡片。",
            "Neighbours without a phone can ask a captain for a printed card.",
        ),
        "mc_valid_to": ("有效至 {t}，到期前自动刷新", "Valid until {t}; renews by itself"),
        "mc_renew": ("刷新二维码", "Renew the code"),
        "mc_renewing": ("二维码即将刷新…", "Renewing the code…"),
    }
)

# Home, history and leaderboards (member_pages.py, game_pages.py); keys "gm_".
WORDS.update(
    {
        "gm_level": ("等级", "Level"),
        "gm_earned": ("累计获得 {n} 分", "{n} points earned in all"),
        "gm_to_next": ("再得 {n} 分升为「{l}」", "{n} more points to “{l}”"),
        "gm_top_level": ("已是最高等级", "Top level reached"),
        "gm_badges": ("徽章", "Badges"),
        "gm_badges_count": ("{n} / {m}", "{n} of {m}"),
        "gm_no_badges": ("参加活动即可获得徽章。", "Volunteer to earn your first badge."),
        "gm_earned_on": ("{d} 获得", "Earned {d}"),
        "gm_streak": ("连续参与", "Weekly streak"),
        "gm_streak_now": ("当前", "Now"),
        "gm_week_one": ("周", "week"),
        "gm_streak_best": ("最长", "Longest"),
        "gm_streak_hint": (
            "每周至少参加一次活动即可保持连续。",
            "Volunteer at least once a week to keep it going.",
        ),
        "gm_latest": ("最近积分", "Latest points"),
        "gm_held_amount": ("冻结 {n}", "{n} held"),
        "gm_boards": ("排行榜", "Leaderboards"),
        "gm_board_team": ("本队", "My team"),
        "gm_board_building": ("本楼栋", "My building"),
        "gm_board_community": ("全社区", "Community"),
        "gm_board_teams": ("服务队榜", "Teams"),
        "gm_board_buildings": ("楼栋榜", "Buildings"),
        "gm_window_week": ("本周", "This week"),
        "gm_window_month": ("本月", "This month"),
        "gm_window_year": ("今年", "This year"),
        "gm_window_all_time": ("总榜", "All time"),
        "gm_since": ("自 {d} 起获得的积分", "Points earned since {d}"),
        "gm_all_time": ("历来获得的积分", "Points earned ever"),
        "gm_rank": ("名次", "Rank"),
        "gm_who": ("名称", "Name"),
        "gm_points": ("积分", "Points"),
        "gm_anonymous": ("匿名志愿者", "Anonymous volunteer"),
        "gm_me": ("我", "me"),
        "gm_mine": ("我的", "mine"),
        "gm_no_rows": ("这段时间还没有人获得积分。", "Nobody earned points in this period yet."),
        "gm_entrants": ("共 {n} 名", "{n} ranked"),
        "gm_ranking_rule": (
            "按期间内获得的积分排名（冲正扣除，过期不计）；同分者名次相同，先达到者在前。",
            "Ranked by points earned in the period (reversals subtract, expiry does not "
            "count); equal points share a rank, whoever got there first is listed first.",
        ),
        "gm_no_building": (
            "您还没有登记楼栋，请联系社区。",
            "No building on record for you; ask the community office.",
        ),
        "gm_opted_out": (
            "您已选择不公开上榜：别人看到的是“匿名志愿者”。",
            "You opted out: others see you as an anonymous volunteer.",
        ),
    }
)
