"""The README's error-code table is the generated one: every refusal code, its status and
both messages are documented, and no documented code is stale."""

from __future__ import annotations

import re
from pathlib import Path

from api.error_codes import error_codes, markdown_table
from api.problems import status_for
from checkin.errors import TokenExpired
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
    assert len(rows) == len(error_codes())  # one row per code
