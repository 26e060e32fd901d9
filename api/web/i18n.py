"""The pages' words in Chinese (default) and English, and how a page picks its language.

A `jifen_lang` cookie (set by the language switch) wins; otherwise the browser's
Accept-Language; otherwise Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar.connection import ASGIConnection

from api.context import request_language
from api.web import words_admin, words_captain, words_clerk, words_member, words_refunds

LANG_COOKIE = "jifen_lang"
LANGUAGES = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {
    "app_name": ("积分", "Jifen"),
    "tagline": (
        "用积分记录行为、认可表现、传递正能量",
        "Points that record, recognise and pass on good deeds",
    ),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "identifier": ("手机号或用户名", "Phone number or user name"),
    "password": ("密码", "Password"),
    "home": ("首页", "Home"),
    "history": ("积分明细", "History"),
    "balance": ("可用积分", "Available points"),
    "held": ("冻结中", "Held"),
    "level": ("等级", "Level"),
    "next_level": ("距下一级", "To next level"),
    "badges": ("徽章", "Badges"),
    "streak": ("连续参与", "Weekly streak"),
    "weeks": ("周", "weeks"),
    "leaderboards": ("排行榜", "Leaderboards"),
    "rewards": ("兑换", "Rewards"),
    "my_code": ("我的二维码", "My code"),
    "language": ("English", "中文"),
    "no_entries": ("还没有积分记录。", "No entries yet."),
    "points": ("分", "points"),
    "error": ("出错了", "Something went wrong"),
    "back_home": ("返回首页", "Back to the home page"),
    "captain": ("队长", "Captain"),
    "clerk": ("店员", "Clerk"),
    "admin": ("管理", "Admin"),
    "more": ("更多", "More"),
}


def _merge(*areas: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    merged = dict(TEXT)
    for words in areas:
        clash = merged.keys() & words.keys()
        assert not clash, f"words defined twice: {sorted(clash)}"
        merged.update(words)
    return merged


ALL_WORDS = _merge(
    words_member.WORDS,
    words_captain.WORDS,
    words_clerk.WORDS,
    words_admin.WORDS,
    words_refunds.WORDS,
)


def choose_language(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The language of this request's pages."""
    chosen = connection.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request_language(connection)


def translator(language: str) -> Mapping[str, str]:
    """Every word in `language`, for templates: `{{ t.balance }}`."""
    index = LANGUAGES.index(language) if language in LANGUAGES else 0
    return {key: pair[index] for key, pair in ALL_WORDS.items()}
