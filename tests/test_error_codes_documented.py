"""The README's error-code table is the generated one: every refusal code, its status and
both messages are documented, and no documented code is stale."""

from __future__ import annotations

import re
from pathlib import Path

from api.error_codes import DOMAIN_MODULES, error_codes, markdown_table, subclasses
from api.problems import status_for
from checkin.errors import TokenExpired
from ledger.errors import Refusal
from redemption.errors import CodeAlreadyUsed

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"<!-- error-codes:begin -->\n(.*?)<!-- error-codes:end -->", re.S)


def test_readme_table_equals_the_generated_table() -> None:
    found = BLOCK.search(README.read_text(encoding="utf-8"))
    assert found is not None, "README lost its error-codes markers"
    assert found.group(1) == markdown_table(), "run `python -m api.error_codes` into README"


def test_table_holds_refusals_of_every_domain_with_their_status() -> None:
    rows = {row.code: row for row in error_codes()}
    assert rows[TokenExpired.code].status == status_for(TokenExpired.code) == 409
    assert rows[CodeAlreadyUsed.code].message_zh == CodeAlreadyUsed.message_zh
    assert {"insufficient_points", "ruleset_invalid", "not_found", "too_many_requests"} <= set(rows)


def test_no_two_refusals_share_a_code_with_other_messages() -> None:
    """The table keeps one row per code; two refusal classes with one code and different
    messages would lose one of them silently."""
    messages: dict[str, set[tuple[str, str]]] = {}
    for refusal in subclasses(Refusal):
        if refusal.__module__ in {module.__name__ for module in DOMAIN_MODULES}:
            messages.setdefault(refusal.code, set()).add((refusal.message_en, refusal.message_zh))
    assert {code: found for code, found in messages.items() if len(found) > 1} == {}
