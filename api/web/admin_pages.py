"""The admin's pages: a desktop console for a community's admins (read-only for its auditors;
a district admin runs every community of the sub-district).

`/admin` picks the community; everything else lives under `/admin/c/{community_id}`:

- the dashboard (headline numbers and charts) ............................ admin_dashboard
- the community (and its redemption policy), its grids and buildings ..... admin_places
- teams, their members and captains, revoking roles ...................... admin_teams
- shops and their clerks ................................................. admin_shops
- a shop's redemption settings (supermarket, free amounts) ............... admin_shop_settings
- members: search, create (one-time set-up code), correct, roles, erase .. admin_members
- the reward catalogue ................................................... admin_rewards
- rule sets: check, upload, simulate, activate ........................... admin_rules
- reversing an entry, signing keys ....................................... admin_ledger

Reading needs the community's admin or auditor, changing its admin (`Access.STAFF` and
`Access.ADMIN`, then `admin_common.staff_scope` / `admin_scope`); other communities' objects
answer 404. Shared parts (scope, forms, refusals) are in `admin_common`.
"""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from api.web import (
    admin_dashboard,
    admin_ledger,
    admin_members,
    admin_places,
    admin_rewards,
    admin_rules,
    admin_shop_settings,
    admin_shops,
    admin_teams,
)

ROUTES: list[ControllerRouterHandler] = [
    *admin_dashboard.ROUTES,
    *admin_places.ROUTES,
    *admin_teams.ROUTES,
    *admin_shops.ROUTES,
    *admin_shop_settings.ROUTES,
    *admin_members.ROUTES,
    *admin_rewards.ROUTES,
    *admin_rules.ROUTES,
    *admin_ledger.ROUTES,
]
