"""The rule-set hash: it identifies a rule set's meaning, never its formatting."""

from __future__ import annotations

import hashlib
import random
import re
import tomllib

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from rules import load_default, load_text
from rules.canonical import canonical_bytes, meaning
from rules.loading import DEFAULT_PATH
from tests.rules.mutations import changed, leaves, reordered, with_defaults
from tests.rules.tomlgen import HEADER, Doc, documents, render

SMALL = HEADER + '[activities.patrol]\nname_zh = "巡逻"\nname_en = "Patrol"\nbase_points = 20\n'

GOLDEN_BYTES = (
    '{"activities":{"patrol":{"approval":"captain","base_points":20,"caps":{"day_points":null,'
    '"month_points":null,"week_points":null},"duration":null,"first_time_bonus_points":0,'
    '"name_en":"Patrol","name_zh":"巡逻","requires_checkout":false}},"badges":[],"campaigns":[],'
    '"caps":{"day_points":null,"month_points":null,"week_points":null},'
    '"format":"jifen-ruleset/1","levels":[{"id":"newcomer","min_points":0,'
    '"name_en":"New volunteer","name_zh":"志愿新星"},{"id":"neighbour","min_points":100,'
    '"name_en":"Helpful neighbour","name_zh":"热心邻居"},{"id":"mainstay","min_points":500,'
    '"name_en":"Community mainstay","name_zh":"社区骨干"},{"id":"champion","min_points":1500,'
    '"name_en":"Community champion","name_zh":"公益达人"},{"id":"exemplar","min_points":5000,'
    '"name_en":"Model of virtue","name_zh":"德行楷模"}],'
    '"role_percent":{"captain":100,"organiser":100,"volunteer":100},'
    '"ruleset":{"id":"test","name_en":"Test rules","name_zh":"测试规则",'
    '"timezone":"Asia/Shanghai","version":1},"streak":{"tiers":[]}}'
).encode()
GOLDEN_HASH = "3b7437c2af599291b57d4d136fe3a684a9148f0fa1a0c91549994cd6dd04427e"

DEFAULT_DOCUMENT: Doc = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
DEFAULT_CHANGES = [
    (path, found) for path in leaves(DEFAULT_DOCUMENT) if (found := changed(DEFAULT_DOCUMENT, path))
]


def test_canonical_bytes_and_hash_are_pinned() -> None:
    """A small rule set's canonical bytes and hash are exactly the pinned golden values."""
    ruleset = load_text(SMALL)
    assert canonical_bytes(ruleset) == GOLDEN_BYTES
    assert ruleset.hash == GOLDEN_HASH


def test_hash_is_lowercase_hex_sha256_of_the_canonical_bytes() -> None:
    """`RuleSet.hash` is the lowercase hex SHA-256 of the canonical bytes."""
    ruleset = load_default()
    assert re.fullmatch(r"[0-9a-f]{64}", ruleset.hash)
    assert ruleset.hash == hashlib.sha256(canonical_bytes(ruleset)).hexdigest()


def test_comments_whitespace_and_key_order_do_not_change_the_hash() -> None:
    """Adding comments and blank lines and moving a table to the end keep the default's hash."""
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    caps_table = "[caps]\nday_points = 100\nweek_points = 300\nmonth_points = 800\n"
    assert caps_table in text
    edited = (
        text.replace(caps_table, "") + "\n\n# moved here\n" + caps_table.replace("\n", "  # c\n")
    )
    assert load_text(edited).hash == load_default().hash


def test_the_change_check_covers_every_value_that_can_change_alone() -> None:
    """Only values that cannot change alone (zero level, activity badges' criterion) are skipped."""
    checked = {path for path, _ in DEFAULT_CHANGES}
    left_out = [path for path in leaves(DEFAULT_DOCUMENT) if path not in checked]
    assert left_out == [
        ("levels", 0, "min_points"),
        ("badges", 0, "criterion"),
        ("badges", 1, "criterion"),
    ]


@pytest.mark.parametrize(
    ("path", "found"), DEFAULT_CHANGES, ids=[".".join(map(str, p)) for p, _ in DEFAULT_CHANGES]
)
def test_changing_any_value_of_the_default_file_changes_the_hash(
    path: object, found: object
) -> None:
    """Changing any single value of the default file to another valid value changes the hash."""
    assert isinstance(found, tuple)
    _, ruleset = found
    assert ruleset.hash != load_default().hash


@given(documents(), st.randoms(use_true_random=False), st.randoms(use_true_random=False))
def test_hash_ignores_formatting(
    document: Doc, first: random.Random, second: random.Random
) -> None:
    """Any two ways of writing the same document in TOML hash alike."""
    plain = load_text(render(document))
    assert load_text(render(document, first)).hash == plain.hash
    assert load_text(render(document, second)).hash == plain.hash


@given(documents(), st.randoms(use_true_random=False))
def test_hash_ignores_the_order_of_unordered_lists(document: Doc, rnd: random.Random) -> None:
    """Shuffling campaigns, levels, badges, streak tiers or campaign activities keeps the hash."""
    assert load_text(render(reordered(document, rnd))).hash == load_text(render(document)).hash


@given(documents())
def test_hash_ignores_writing_defaults_out(document: Doc) -> None:
    """Writing every optional key out at its default value keeps the hash."""
    assert load_text(render(with_defaults(document))).hash == load_text(render(document)).hash


@given(documents(), st.data())
def test_changing_any_value_changes_the_hash(document: Doc, data: st.DataObject) -> None:
    """Changing any one value of a valid document to another valid value changes the hash."""
    candidates = [found for path in leaves(document) if (found := changed(document, path))]
    _, ruleset = data.draw(st.sampled_from(candidates))
    assert ruleset.hash != load_text(render(document)).hash


@given(documents(), documents())
def test_hashes_are_equal_exactly_when_rule_sets_are(first: Doc, second: Doc) -> None:
    """Two loaded rule sets have the same hash if and only if they are equal."""
    a, b = load_text(render(first)), load_text(render(second))
    assert (a.hash == b.hash) == (a == b)


@given(documents())
def test_canonical_bytes_are_rfc8785_json(document: Doc) -> None:
    """The canonical bytes are the RFC 8785 (JCS) canonical JSON of the meaning."""
    ruleset = load_text(render(document))
    assert canonical_bytes(ruleset) == rfc8785.dumps(meaning(ruleset))
