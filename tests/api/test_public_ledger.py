"""The public ledger endpoints, checked over HTTP by an independent verifier.

A chain of credits, a committed and a voided hold and a key rotation is written to community
A's ledger; checkpoints are issued over HTTP at three sizes. Everything the endpoints return
is then verified by tests/api/independent_verifier.py (not the service's own verifier), and
the access rule is checked: keys and checkpoints for anyone; entries and proofs for anyone
when the ledger is public, else for its admins and auditors (all) and its members (their own).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger import service as ledger_service
from ledger.types import Posting
from organisation.pseudonyms import ISSUANCE_ACCOUNT
from tests.api import independent_verifier as v
from tests.api.scene import Scene, module_scene_fixtures
from tests.conftest import FIXED_NOW

scene_db, scene = module_scene_fixtures()

FORMAT_DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger-format.md"


@dataclass
class Chain:
    """Community A's ledger as written for these tests."""

    path: str
    ledger: str
    size: int
    checkpoint_sizes: list[int]
    resident_seqs: list[int]


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


async def _append(scene: Scene, operations: list[tuple[str, Any]]) -> list[int]:
    """Run ledger operations in one transaction; returns the seqs of the entries."""
    world = scene.world
    ledger = world.community.ledger_id
    seqs = []
    async with scene.db.sessions.begin() as session:
        for kind, argument in operations:
            common: dict[str, Any] = {
                "keystore": world.keystore,
                "ledger": ledger,
                "now": FIXED_NOW,
            }
            if kind == "credit":
                posting = Posting(
                    "test.credit", ISSUANCE_ACCOUNT, argument, 5, f"t/{secrets.token_hex(6)}"
                )
                appended = await ledger_service.append(session, posting=posting, **common)
            elif kind == "hold":
                posting = Posting(
                    "redeem", world.people["resident"].account, world.shop.account, argument,
                    f"r/{secrets.token_hex(6)}",
                )  # fmt: skip
                appended = await ledger_service.place_hold(
                    session, posting=posting, ttl_seconds=600, **common
                )
            else:
                appended = await ledger_service.resolve_hold(
                    session,
                    hold_seq=argument,
                    action="commit" if kind == "commit" else "void",
                    ref=f"x/{secrets.token_hex(6)}",
                    **common,
                )
            seqs.append(appended.entry.seq)
    return seqs


async def _rotate(scene: Scene) -> None:
    async with scene.db.sessions.begin() as session:
        await ledger_service.rotate_key(
            session,
            keystore=scene.world.keystore,
            ledger=scene.world.community.ledger_id,
            now=FIXED_NOW,
        )


@pytest.fixture(scope="module")
async def chain(scene: Scene) -> Chain:
    """Credits, holds and a key rotation in community A's ledger, with three checkpoints."""
    people = scene.world.people
    path = f"/api/v1/ledgers/{scene.world.community.ledger_id}"
    anonymous = await scene.client(None)
    sizes = [ok(await anonymous.get(path + "/checkpoint"))["checkpoint"]["size"]]
    credits = [people[r].account for r in ("resident", "clerk", "admin", "resident", "captain")]
    seqs = await _append(scene, [("credit", a) for a in credits])
    [held] = await _append(scene, [("hold", 3)])
    seqs += [held, *await _append(scene, [("commit", held)])]
    [held_again] = await _append(scene, [("hold", 2)])
    seqs += [held_again, *await _append(scene, [("void", held_again)])]
    sizes.append(ok(await anonymous.get(path + "/checkpoint"))["checkpoint"]["size"])
    await _rotate(scene)
    seqs += await _append(scene, [("credit", people[r].account) for r in ("resident", "auditor")])
    sizes.append(ok(await anonymous.get(path + "/checkpoint"))["checkpoint"]["size"])
    account = people["resident"].account
    async with scene.db.sessions() as session:
        mine = await ledger_service.account_entries_from(
            session, ledger=scene.world.community.ledger_id, account=account, start_seq=1, limit=200
        )
    return Chain(path, scene.world.community.ledger_id, sizes[-1], sizes, [e.seq for e in mine])


async def _everything(client: httpx.AsyncClient, chain: Chain, page: int = 4) -> list[Any]:
    """All entries, fetched page by page with start and limit."""
    found: list[Any] = []
    while True:
        params = {"start": len(found) + 1, "limit": page}
        batch = ok(await client.get(chain.path + "/entries", params=params))
        found += batch
        if len(batch) < page:
            return found


def test_the_verifier_agrees_with_the_format_documents_worked_example() -> None:
    """The independent verifier accepts the pinned example of docs/ledger-format.md."""
    block = (
        FORMAT_DOC.read_text().split("<!-- example:begin -->")[1].split("<!-- example:end -->")[0]
    )
    pattern = re.compile(r"^(\w+(?: \d+)? \w+) (.+)$", re.M)
    lines = {m.group(1): m.group(2) for m in pattern.finditer(block)}
    key_line = re.search(r"^key (\w+) public (\w+)$", block, re.M)
    assert key_line is not None
    key_id, public = key_line.groups()
    keys = v.check_keys(
        [
            {
                "key_id": key_id,
                "public_key": public,
                "purpose": "ledger",
                "from_seq": 1,
                "to_seq": None,
            }
        ]
    )
    entries = []
    for seq in (1, 2, 3):
        body = json.loads(lines[f"entry {seq} canonical"])
        assert v.canonical(body) == lines[f"entry {seq} canonical"].encode()
        entries.append(
            {**body, "hash": lines[f"entry {seq} hash"], "sig": lines[f"entry {seq} sig"]}
        )
    leaves = v.check_entries(entries, keys, "example")
    assert [leaf.hex() for leaf in leaves] == [lines[f"entry {s} leaf"] for s in (1, 2, 3)]
    checkpoint = json.loads(lines["checkpoint canonical"])
    v.check_checkpoint({"checkpoint": checkpoint, "sig": lines["checkpoint sig"]}, keys, leaves)


async def test_entries_keys_and_checkpoints_verify_independently(
    scene: Scene, chain: Chain
) -> None:
    """Every entry's hash, link, signature and key range, and the latest checkpoint, verify."""
    client = await scene.client("auditor")
    keys = v.check_keys(ok(await client.get(chain.path + "/keys")))
    ledger_keys = [k for k in keys.values() if k["purpose"] == "ledger"]
    assert len(ledger_keys) == 2, "the rotation added a second ledger key"
    entries = await _everything(client, chain)
    assert len(entries) == chain.size
    assert {e["key"] for e in entries} == {k["key_id"] for k in ledger_keys}
    leaves = v.check_entries(entries, keys, chain.ledger)
    latest = ok(await (await scene.client(None)).get(chain.path + "/checkpoint"))
    assert v.check_checkpoint(latest, keys, leaves)["size"] == chain.size
    kinds = {e["kind"] for e in entries}
    assert {"hold", "hold.commit", "hold.void", "test.credit"} <= kinds


async def test_earlier_checkpoints_are_served_by_size(scene: Scene, chain: Chain) -> None:
    """`?size=N` returns the checkpoint issued at N, which verifies against the first N entries."""
    client = await scene.client(None)
    auditor = await scene.client("auditor")
    keys = v.check_keys(ok(await client.get(chain.path + "/keys")))
    leaves = v.check_entries(await _everything(auditor, chain), keys, chain.ledger)
    for size in chain.checkpoint_sizes:
        signed = ok(await client.get(chain.path + "/checkpoint", params={"size": size}))
        assert v.check_checkpoint(signed, keys, leaves)["size"] == size
    refused(
        await client.get(chain.path + "/checkpoint", params={"size": 3}),
        404,
        "checkpoint_not_found",
    )


async def test_inclusion_proofs_verify_for_every_entry(scene: Scene, chain: Chain) -> None:
    """An inclusion proof of each seq in each checkpointed tree leads to that tree's root."""
    client = await scene.client("admin")
    keys = v.check_keys(ok(await client.get(chain.path + "/keys")))
    leaves = v.check_entries(await _everything(client, chain), keys, chain.ledger)
    for size in chain.checkpoint_sizes:
        root = v.merkle_root(leaves[:size])
        for seq in range(1, size + 1):
            params = {"seq": seq, "size": size}
            proof = ok(await client.get(chain.path + "/proofs/inclusion", params=params))
            assert (proof["seq"], proof["size"], proof["leaf_hash"]) == (
                seq,
                size,
                leaves[seq - 1].hex(),
            )
            v.verify_inclusion(seq - 1, size, leaves[seq - 1], proof["hashes"], root)
    with pytest.raises(AssertionError):
        v.verify_inclusion(0, chain.size, leaves[1], proof["hashes"], v.merkle_root(leaves))


async def test_consistency_proofs_verify_between_every_pair_of_sizes(
    scene: Scene, chain: Chain
) -> None:
    """Each smaller tree is a prefix of each larger one, by RFC 9162 consistency proofs."""
    client = await scene.client("admin")
    keys = v.check_keys(ok(await client.get(chain.path + "/keys")))
    leaves = v.check_entries(await _everything(client, chain), keys, chain.ledger)
    for first in range(1, chain.size + 1):
        for second in range(first, chain.size + 1):
            params = {"from": first, "to": second}
            proof = ok(await client.get(chain.path + "/proofs/consistency", params=params))
            root1, root2 = v.merkle_root(leaves[:first]), v.merkle_root(leaves[:second])
            v.verify_consistency(first, second, root1, root2, proof["hashes"])
    rewritten = v.merkle_root([leaves[1], *leaves[1:3]])
    proof = ok(await client.get(chain.path + "/proofs/consistency", params={"from": 3, "to": 7}))
    with pytest.raises(AssertionError):
        v.verify_consistency(3, 7, rewritten, v.merkle_root(leaves[:7]), proof["hashes"])


async def test_the_verifier_rejects_tampered_responses(scene: Scene, chain: Chain) -> None:
    """A changed amount, a foreign signature, a missing entry or a wrong root all fail."""
    client = await scene.client("admin")
    keys = v.check_keys(ok(await client.get(chain.path + "/keys")))
    entries = await _everything(client, chain)
    leaves = v.check_entries(entries, keys, chain.ledger)
    tampered = [
        [*entries[:2], {**entries[2], "amount": entries[2]["amount"] + 1}, *entries[3:]],
        [*entries[:2], {**entries[2], "sig": entries[3]["sig"]}, *entries[3:]],
        [*entries[:2], *entries[3:]],
        [*entries[:2], {**entries[2], "key": entries[-1]["key"]}, *entries[3:]],
    ]
    for variant in tampered:
        with pytest.raises(AssertionError):
            v.check_entries(variant, keys, chain.ledger)
    latest = ok(await client.get(chain.path + "/checkpoint"))
    forged = {**latest, "checkpoint": {**latest["checkpoint"], "size": chain.size - 1}}
    with pytest.raises(AssertionError):
        v.check_checkpoint(forged, keys, leaves)
    with pytest.raises(AssertionError):
        v.check_checkpoint(latest, keys, [*leaves[:-1], leaves[0]])


async def test_ledger_list_names_every_ledger_with_its_size(scene: Scene, chain: Chain) -> None:
    """GET /api/v1/ledgers lists each ledger id with its community's name and current size."""
    listed = {
        row["ledger"]: row for row in ok(await (await scene.client(None)).get("/api/v1/ledgers"))
    }
    mine = listed[chain.ledger]
    assert (mine["community"], mine["size"], mine["public"]) == (
        scene.world.community.name, chain.size, False,
    )  # fmt: skip
    assert listed[scene.world.other.ledger_id]["size"] == 0


async def test_entries_pages_start_at_a_seq_and_stop_at_the_limit(
    scene: Scene, chain: Chain
) -> None:
    """`start` is the first seq returned and `limit` the most entries; 201 is too many."""
    client = await scene.client("auditor")
    page = ok(await client.get(chain.path + "/entries", params={"start": 3, "limit": 2}))
    assert [e["seq"] for e in page] == [3, 4]
    beyond = ok(await client.get(chain.path + "/entries", params={"start": chain.size + 1}))
    assert beyond == []
    refused(await client.get(chain.path + "/entries", params={"limit": 201}), 400, "invalid_input")
    refused(await client.get(chain.path + "/entries", params={"start": 0}), 400, "invalid_input")


async def test_members_only_ledger_shows_members_their_own_entries(
    scene: Scene, chain: Chain
) -> None:
    """Staff read everything; a member reads their own entries and proofs; others get 404."""
    for role in ("admin", "auditor", "district_admin"):
        assert len(await _everything(await scene.client(role), chain)) == chain.size
    resident = await scene.client("resident")
    own = ok(await resident.get(chain.path + "/entries", params={"limit": 200}))
    account = scene.world.people["resident"].account
    assert [e["seq"] for e in own] == chain.resident_seqs
    assert all(account in (e["debit"], e["credit"]) for e in own)
    inclusion = chain.path + "/proofs/inclusion"
    mine = {"seq": chain.resident_seqs[0], "size": chain.size}
    assert ok(await resident.get(inclusion, params=mine))["seq"] == mine["seq"]
    theirs = {"seq": scene.seqs["captain"], "size": chain.size}
    refused(await resident.get(inclusion, params=theirs), 404, "not_found")
    for stranger in (None, "other_resident", "other_admin"):
        outsider = await scene.client(stranger)
        refused(await outsider.get(chain.path + "/entries"), 404, "not_found")
        refused(await outsider.get(inclusion, params=mine), 404, "not_found")
        consistency = {"from": 1, "to": chain.size}
        refused(
            await outsider.get(chain.path + "/proofs/consistency", params=consistency),
            404,
            "not_found",
        )
        assert ok(await outsider.get(chain.path + "/keys"))
        assert (
            ok(await outsider.get(chain.path + "/checkpoint"))["checkpoint"]["size"] == chain.size
        )


async def test_public_ledger_is_readable_and_verifiable_by_anyone(
    scene: Scene, chain: Chain
) -> None:
    """Once its community makes it public, anyone reads, proves and verifies the whole ledger."""
    admin = await scene.client("admin")
    community = f"/api/v1/communities/{scene.community_id}"
    ok(await admin.patch(community, json={"ledger_public": True}))
    try:
        for role in (None, "other_resident"):
            client = await scene.client(role)
            keys = v.check_keys(ok(await client.get(chain.path + "/keys")))
            leaves = v.check_entries(await _everything(client, chain), keys, chain.ledger)
            assert len(leaves) == chain.size
            params = {"seq": scene.seqs["captain"], "size": chain.size}
            proof = ok(await client.get(chain.path + "/proofs/inclusion", params=params))
            index = scene.seqs["captain"] - 1
            v.verify_inclusion(
                index, chain.size, leaves[index], proof["hashes"], v.merkle_root(leaves)
            )
    finally:
        ok(await admin.patch(community, json={"ledger_public": False}))


async def test_bad_ledger_requests_are_refused_with_codes(scene: Scene, chain: Chain) -> None:
    """Unknown ledgers are 404; proofs outside the tree are 400 invalid_proof_request."""
    client = await scene.client("admin")
    refused(await client.get("/api/v1/ledgers/no-such-ledger/keys"), 404, "not_found")
    refused(await client.get("/api/v1/ledgers/no-such-ledger/entries"), 404, "not_found")
    beyond = {"seq": 1, "size": chain.size + 1}
    refused(
        await client.get(chain.path + "/proofs/inclusion", params=beyond),
        400,
        "invalid_proof_request",
    )
    backwards = {"from": 3, "to": 2}
    refused(
        await client.get(chain.path + "/proofs/consistency", params=backwards),
        400,
        "invalid_proof_request",
    )
