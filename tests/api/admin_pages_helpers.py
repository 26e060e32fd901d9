"""What the admin page tests share: forms as the pages send them, refusal codes, rule sets."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func
from sqlmodel import col, select

from api.app import CSRF_COOKIE
from organisation.models import Member, RoleGrant
from tests.api.scene import Scene
from tests.conftest import Database

Client = AsyncTestClient[Litestar]
ENGLISH = {"accept-language": "en-GB,en"}
STAFF_PAGES = (
    "",
    "/community",
    "/places",
    "/teams",
    "/members",
    "/shops",
    "/rewards",
    "/rules",
    "/reversals",
    "/keys",
)
GOOD_RULES = """\
[ruleset]
id = "test_rules"
version = 2
name_zh = "测试规则"
name_en = "Test rules"

[activities.new_year_banquet]
name_zh = "坝坝席迎新年"
name_en = "New Year banquet"
base_points = 40

[activities.elderly_collective_birthday]
name_zh = "老年人集体过生日"
name_en = "Collective birthday"
base_points = 25
"""
BAD_RULES = GOOD_RULES.replace("base_points = 25", "base_points = 2.5")


def form(client: Client, **fields: object) -> dict[str, str]:
    """A form body as a page's form sends it, with the CSRF field."""
    return {
        "_csrf_token": client.cookies.get(CSRF_COOKIE) or "",
        **{k: str(v) for k, v in fields.items()},
    }


def refusal_code(text: str) -> str | None:
    found = re.search(r'class="refusal"[^>]*data-code="([a-z_]+)"', text)
    return found.group(1) if found else None


def has_forms(text: str) -> bool:
    """Whether the page has a form that changes something."""
    return 'method="post"' in text.split("<main>", 1)[1].split("</main>", 1)[0]


def base(scene: Scene, other: bool = False) -> str:
    return f"/admin/c/{scene.other_id if other else scene.community_id}"


async def post(client: Client, path: str, **fields: object) -> Any:
    return await client.post(path, data=form(client, **fields), follow_redirects=False)


async def count(db: Database, model: type[Any], *where: Any) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def active_grant(scene: Scene, member: Member, role: str) -> int | None:
    async with scene.db.sessions() as session:
        return await session.scalar(
            select(RoleGrant.id).where(
                RoleGrant.member_id == member.id,
                RoleGrant.role == role,
                col(RoleGrant.revoked_at).is_(None),
            )
        )
