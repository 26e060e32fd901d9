"""Rule sets over HTTP: check, upload, simulate, activate; any rule set's text by its hash.

Access: admins of the community check, upload, simulate and activate; its admins and
auditors list versions; its members read the active rule set (what earns how much); anyone
fetches a rule set's text by hash, so anyone can recompute a credit from the ledger.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import get, post
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

import rules
from api.access import Access, access, require_admin, require_staff
from api.deps import Db, Me, Now
from api.routes.checkin_schemas import (
    ActivityOut,
    RulesetCheckOut,
    RulesetIn,
    RulesetTextOut,
    RulesetVersionOut,
    SimulationOut,
    SimulationRowOut,
    version_out,
)
from checkin import rulesets
from organisation.errors import NotFound

# Version numbers are 32-bit columns; a larger number names no version (and must not reach
# the database, which would overflow).
Version = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
TAGS = ["rulesets"]
BASE = "/api/v1/communities/{community_id:int}/rulesets"


def _summary(ruleset: rules.RuleSet) -> RulesetCheckOut:
    return RulesetCheckOut(
        hash=ruleset.hash,
        ruleset_id=ruleset.ruleset_id,
        version=ruleset.version,
        name_zh=ruleset.name_zh,
        name_en=ruleset.name_en,
        activities=[
            ActivityOut(
                activity_id=a.activity_id,
                name_zh=a.name_zh,
                name_en=a.name_en,
                approval=a.approval.value,
                requires_checkout=a.requires_checkout,
            )
            for a in ruleset.activities
        ],
    )


@post(BASE + "/check", opt=access(Access.ADMIN), tags=TAGS, status_code=200)
async def check(
    community_id: FromPath[int], data: JSONBody[RulesetIn], principal: Me
) -> RulesetCheckOut:
    """Validate a rule set without storing it; `ruleset_invalid` names file, line, key."""
    require_admin(principal, community_id)
    return _summary(rulesets.check(data.text, file_name=data.file_name))


@post(BASE, opt=access(Access.ADMIN), tags=TAGS)
async def upload(
    community_id: FromPath[int], data: JSONBody[RulesetIn], db: Db, principal: Me, now: Now
) -> RulesetVersionOut:
    """Store a validated rule set as the next version (activate it separately)."""
    require_admin(principal, community_id)
    row = await rulesets.upload(
        db,
        community_id=community_id,
        text=data.text,
        file_name=data.file_name,
        uploaded_by=principal.member_id,
        now=now,
    )
    active = await rulesets.active_version(db, community_id=community_id)
    return version_out(row, active=active is not None and active.id == row.id)


@get(BASE, opt=access(Access.STAFF), tags=TAGS)
async def list_versions(
    community_id: FromPath[int], db: Db, principal: Me
) -> list[RulesetVersionOut]:
    """Every uploaded version, newest first, and which is active (or the default)."""
    require_staff(principal, community_id)
    active = await rulesets.active_version(db, community_id=community_id)
    found = [
        version_out(v, active=active is not None and v.id == active.id)
        for v in await rulesets.versions(db, community_id=community_id)
    ]
    default = rulesets.default_ruleset()
    found.append(
        RulesetVersionOut(
            version=None,
            hash=default.hash,
            ruleset_id=default.ruleset_id,
            file_name=rulesets.DEFAULT_FILE_NAME,
            uploaded_at=None,
            uploaded_by=None,
            active=active is None,
        )
    )
    return found


@get(BASE + "/active", opt=access(Access.MEMBER), tags=TAGS)
async def show_active(community_id: FromPath[int], db: Db, principal: Me) -> RulesetCheckOut:
    """The activities and hash of the community's rule set in force."""
    if community_id != principal.community_id and not principal.can_read_community(community_id):
        raise NotFound(object="community", id=community_id)
    return _summary((await rulesets.active(db, community_id=community_id)).ruleset)


@post(BASE + "/{version:int}/activate", opt=access(Access.ADMIN), tags=TAGS, status_code=200)
async def activate(
    community_id: FromPath[int], version: Version, db: Db, principal: Me, now: Now
) -> RulesetVersionOut:
    """Make a version the community's rule set for every credit from now on."""
    require_admin(principal, community_id)
    row = await rulesets.activate(
        db, community_id=community_id, number=version, activated_by=principal.member_id, now=now
    )
    return version_out(row, active=True)


@get(BASE + "/{version:int}/simulation", opt=access(Access.ADMIN), tags=TAGS)
async def simulation(
    community_id: FromPath[int],
    version: Version,
    since: Annotated[date, QueryParameter(description="first local date to re-run")],
    db: Db,
    principal: Me,
) -> SimulationOut:
    """What this version would have awarded for approved check-ins since `since`, beside
    what was awarded."""
    require_admin(principal, community_id)
    row = await rulesets.version(db, community_id=community_id, number=version)
    draft = await rulesets.by_hash(db, ruleset_hash=row.hash)
    result = await rulesets.simulate(db, community_id=community_id, draft=draft, since=since)
    return SimulationOut(
        ruleset_hash=result.ruleset_hash,
        since=since,
        rows=[
            SimulationRowOut(
                checkin_id=int(r.record_id),
                member_id=int(r.member_id),
                awarded_points=r.awarded_points,
                would_award_points=r.would_award_points,
                difference_points=r.difference_points,
                unknown_activity=r.unknown_activity,
            )
            for r in result.rows
        ],
        awarded_total_points=result.awarded_total_points,
        would_award_total_points=result.would_award_total_points,
        difference_total_points=result.difference_total_points,
    )


@get("/api/v1/rulesets/{ruleset_hash:str}", opt=access(Access.PUBLIC), tags=TAGS)
async def text_by_hash(ruleset_hash: FromPath[str], db: Db) -> RulesetTextOut:
    """The text of any rule set that was ever uploaded or used, by its hash."""
    if len(ruleset_hash) != 64 or not all(c in "0123456789abcdef" for c in ruleset_hash):
        raise NotFound(object="ruleset", id=ruleset_hash[:64])
    text = await rulesets.text_by_hash(db, ruleset_hash=ruleset_hash)
    return RulesetTextOut(hash=ruleset_hash, text=text)


ROUTES = [check, upload, list_versions, show_active, activate, simulation, text_by_hash]
