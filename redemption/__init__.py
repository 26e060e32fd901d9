"""Redemption of points at partner shops.

Concepts: a *reward* belongs to one shop (the community's points supermarket is a shop
flagged `is_supermarket` in `ShopRedemptionSettings`); a *code* is a short-lived signed
request by a member for a reward or a free amount at a shop; a *redemption* is a scanned
code, backed by a ledger hold from the member to the shop, that is committed, voided or
expires; a *refund* and a *settlement* are new ledger entries, never edits.

Invariants: one redemption (and one hold, `redeem/{code_id}`) per code; stock never goes
below zero and a reserved unit returns when its hold is voided or expires; a member never
passes a reward's limits; a refusal changes nothing; at most one refund per redemption.

Modules: catalogue (rewards), codes (signing, reading, QR), issuing (a member asks for a
code), holds (scan, commit, void, expiry), limits, refunds, settlement, statements, expiry
(points expiry), policy (community and shop settings), periods (local calendar), errors.
"""
