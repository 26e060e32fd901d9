"""Property: whatever mix of valid and invalid operations arrives, the ledger stays sound."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import errors, service
from ledger.keys import KeyStore
from ledger.types import Appended, Entry, HoldAction, Posting
from ledger.verify import verify_ledger
from tests.conftest import Database

MEMBERS = ("m-a", "m-b", "m-c")
SHOP = "shop-1"
ISSUANCE = "issuance"
TTL_SECONDS = 60


@dataclass(frozen=True)
class Op:
    """One request: what, from, to, how much, and which earlier hold or ref it reuses."""

    verb: str
    debit: str
    credit: str
    amount: int
    pick: int


accounts = st.sampled_from((*MEMBERS, SHOP, ISSUANCE, "m-unknown"))
operations = st.lists(
    st.builds(
        Op,
        verb=st.sampled_from(("credit", "transfer", "hold", "commit", "void", "expire", "repeat")),
        debit=accounts,
        credit=accounts,
        amount=st.integers(min_value=-2, max_value=40),
        pick=st.integers(min_value=0, max_value=50),
    ),
    min_size=1,
    max_size=25,
)


def _replay(entries: list[Entry]) -> dict[str, tuple[int, int]]:
    """Balances and held points computed from the entries alone."""
    state: dict[str, list[int]] = {}
    amounts: dict[int, int] = {}
    for entry in entries:
        debit = state.setdefault(entry.debit, [0, 0])
        credit = state.setdefault(entry.credit, [0, 0])
        if entry.kind == "hold":
            debit[1] += entry.amount
            amounts[entry.seq] = entry.amount
        elif entry.kind in ("hold.void", "hold.expire"):
            debit[1] -= entry.amount
        else:
            if entry.kind == "hold.commit":
                debit[1] -= entry.amount
            debit[0] -= entry.amount
            credit[0] += entry.amount
    return {name: (values[0], values[1]) for name, values in state.items()}


async def _apply(
    db: Database, keystore: KeyStore, ledger: str, op: Op, *, now: datetime, history: list[Appended]
) -> None:
    holds = [a.entry.seq for a in history if a.entry.kind == "hold"]
    ref = f"r-{secrets.token_hex(6)}"
    async with db.sessions.begin() as session:
        if op.verb in ("commit", "void", "expire") and holds:
            later = now + timedelta(seconds=TTL_SECONDS if op.verb == "expire" else 0)
            history.append(
                await service.resolve_hold(
                    session,
                    keystore=keystore,
                    ledger=ledger,
                    hold_seq=holds[op.pick % len(holds)],
                    action=cast(HoldAction, op.verb),
                    ref=ref,
                    now=later,
                )
            )
        elif op.verb == "hold":
            posting = Posting("redeem", op.debit, op.credit, op.amount, ref)
            history.append(
                await service.place_hold(
                    session,
                    keystore=keystore,
                    ledger=ledger,
                    posting=posting,
                    ttl_seconds=TTL_SECONDS,
                    now=now,
                )
            )
        elif op.verb == "repeat" and history:
            again = history[op.pick % len(history)].entry
            if again.kind not in ("hold", "hold.commit", "hold.void", "hold.expire"):
                posting = (
                    again.posting()
                    if op.amount % 2
                    else Posting(again.kind, again.debit, again.credit, again.amount + 1, again.ref)
                )
                history.append(
                    await service.append(
                        session, keystore=keystore, ledger=ledger, posting=posting, now=now
                    )
                )
        else:
            debit = ISSUANCE if op.verb == "credit" else op.debit
            posting = Posting(op.verb, debit, op.credit, op.amount, ref)
            history.append(
                await service.append(
                    session, keystore=keystore, ledger=ledger, posting=posting, now=now
                )
            )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
async def test_any_operation_sequence_keeps_the_ledger_sound(
    db: Database, keystore: KeyStore, now: datetime, ops: list[Op]
) -> None:
    """Balances equal the replay of the entries, sum to zero, never go negative, and verify."""
    ledger = f"p-{secrets.token_hex(6)}"
    async with db.sessions.begin() as session:
        await service.open_ledger(session, keystore=keystore, ledger=ledger, now=now)
        await service.open_account(session, ledger=ledger, account=ISSUANCE, allow_negative=True)
        for account in (*MEMBERS, SHOP):
            await service.open_account(session, ledger=ledger, account=account)
    history: list[Appended] = []
    for op in ops:
        # Refusals are expected for the invalid half of the operations.
        with contextlib.suppress(errors.Refusal):
            await _apply(db, keystore, ledger, op, now=now, history=history)
    async with db.sessions() as session:
        entries = await service.entries(session, ledger=ledger, start_seq=1, limit=10_000)
        stored = {}
        for account in (*MEMBERS, SHOP, ISSUANCE):
            found = await service.balance(session, ledger=ledger, account=account, now=now)
            stored[account] = (found.balance_points, found.held_points)
    replayed = _replay(entries)
    for account, (balance, held) in stored.items():
        assert replayed.get(account, (0, 0)) == (balance, held), account
        if account != ISSUANCE:
            assert balance - held >= 0, account
    assert sum(balance for balance, _ in stored.values()) == 0
    report = await verify_ledger(database_url=db.url, ledger=ledger)
    assert report.ok, report.faults[:3]
