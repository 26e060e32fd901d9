"""The periodic checkpoint job signs a checkpoint of every ledger that grew, once."""

from __future__ import annotations

from api.ledger_jobs import issue_due_checkpoints
from ledger import proofs, service
from ledger.types import Posting
from tests.api.world import World


async def test_checkpoint_job_signs_grown_ledgers_once(world: World) -> None:
    """After a credit the job signs the new size; run again, it signs nothing more."""
    ledger = world.community.ledger_id
    member = world.people["resident"]
    async with world.db.sessions.begin() as session:
        await service.append(
            session,
            keystore=world.keystore,
            ledger=ledger,
            posting=Posting("credit", "issuance", member.account, 5, "job-test"),
            now=world.clock(),
        )
    context = world.app().state.context
    assert await issue_due_checkpoints(context) >= 1
    async with world.db.sessions() as session:
        latest = await proofs.latest_checkpoint(session, ledger=ledger)
    assert latest is not None
    assert latest.size == 1
    await issue_due_checkpoints(context)
    async with world.db.sessions() as session:
        still = await proofs.latest_checkpoint(session, ledger=ledger)
    assert still == latest
