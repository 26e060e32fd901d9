"""Role-matrix rows of the public ledger endpoints, on community A's members-only ledger.

Keys and checkpoints are for anyone. Entries and proofs of a members-only ledger are for its
admins, auditors and members; a member's inclusion proof only for their own entry (seq of
the resident's credit here); everyone else gets 404 as if the ledger did not exist.
"""

from __future__ import annotations

from api.access import Access
from tests.api.route_cases.base import Call, RouteCase
from tests.api.scene import Scene

L = "/api/v1/ledgers/{ledger:str}"
MEMBERS_OF_A = ("resident", "captain", "clerk", "admin", "auditor", "district_admin")
OUTSIDERS = ("anonymous", "other_admin", "other_resident")


def _ledger(scene: Scene) -> str:
    return f"/api/v1/ledgers/{scene.world.community.ledger_id}"


def _readers(*allowed: str) -> dict[str, int]:
    everyone = MEMBERS_OF_A + OUTSIDERS
    return {role: 200 if role in allowed else 404 for role in everyone}


CASES: list[RouteCase] = [
    RouteCase(
        "GET", "/api/v1/ledgers", Access.PUBLIC, prepare=lambda _s, _r: Call("/api/v1/ledgers")
    ),
    RouteCase("GET", L + "/keys", Access.PUBLIC, prepare=lambda s, _r: Call(_ledger(s) + "/keys")),
    RouteCase(
        "GET",
        L + "/checkpoint",
        Access.PUBLIC,
        prepare=lambda s, _r: Call(_ledger(s) + "/checkpoint"),
    ),
    RouteCase(
        "GET",
        L + "/entries",
        Access.PUBLIC,
        expect=_readers(*MEMBERS_OF_A),
        prepare=lambda s, _r: Call(_ledger(s) + "/entries"),
    ),
    RouteCase(
        "GET",
        L + "/proofs/inclusion",
        Access.PUBLIC,
        expect=_readers("resident", "admin", "auditor", "district_admin"),
        prepare=lambda s, _r: Call(
            _ledger(s) + "/proofs/inclusion", params={"seq": s.seqs["resident"], "size": 2}
        ),
    ),
    RouteCase(
        "GET",
        L + "/proofs/consistency",
        Access.PUBLIC,
        expect=_readers(*MEMBERS_OF_A),
        prepare=lambda s, _r: Call(_ledger(s) + "/proofs/consistency", params={"from": 1, "to": 2}),
    ),
]
