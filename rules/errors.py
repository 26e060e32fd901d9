"""Refusals raised by the rules package.

Each is a `ledger.errors.Refusal`: a stable machine code, a message in Chinese and English,
and details. A rule-set error names the `file`, the `line` when it is known, the `key` as a
dotted path (`activities.safety_patrol.base_points`, `campaigns[0].percent`) and the
`problem`, so an admin can fix the file without reading our code.
"""

from __future__ import annotations

from ledger.errors import Refusal


class RulesetInvalid(Refusal):
    """A rule-set file that cannot be loaded; nothing of it was loaded."""

    code = "ruleset_invalid"
    message_en = "The rule set is not valid."
    message_zh = "积分规则无效。"


class UnknownActivity(Refusal):
    """Facts name an activity that the rule set does not define."""

    code = "unknown_activity"
    message_en = "The rule set has no such activity."
    message_zh = "积分规则中没有这项活动。"


class InvalidFacts(Refusal):
    """Facts that cannot be evaluated, e.g. naive datetimes or an end before the start."""

    code = "invalid_facts"
    message_en = "The check-in facts are not consistent."
    message_zh = "签到信息不一致。"


def ruleset_invalid(
    *,
    file: str,
    problem_en: str,
    problem_zh: str,
    key: str | None = None,
    line: int | None = None,
) -> RulesetInvalid:
    """A `RulesetInvalid` whose messages start with `file:line: key:` as far as known."""
    where = file if line is None else f"{file}:{line}"
    what = "" if key is None else f" {key}:"
    details: dict[str, str | int] = {"file": file, "problem": problem_en, "problem_zh": problem_zh}
    if key is not None:
        details["key"] = key
    if line is not None:
        details["line"] = line
    return RulesetInvalid(
        f"{where}:{what} {problem_en}",
        message_zh=f"{where}:{what} {problem_zh}",
        **details,
    )
