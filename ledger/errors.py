"""Typed refusals with stable machine codes.

Every refusal in the domain is a `Refusal`: a stable `code` that clients may branch on, a
message for people in Chinese and in English, and details (which field, which limit). The
HTTP layer maps codes to statuses in one place; nothing else inspects messages.
"""

from __future__ import annotations

from collections.abc import Mapping


class Refusal(Exception):  # noqa: N818 (a refusal is an expected outcome, not an error)
    """An operation refused for a reason its caller can act on; nothing was changed."""

    code: str = "refused"
    message_en: str = "The operation was refused."
    message_zh: str = "操作被拒绝。"

    def __init__(
        self,
        message_en: str | None = None,
        *,
        message_zh: str | None = None,
        **details: str | int,
    ) -> None:
        if message_en is not None:
            self.message_en = message_en
        if message_zh is not None:
            self.message_zh = message_zh
        self.details: Mapping[str, str | int] = details
        super().__init__(f"{self.code}: {self.message_en}")

    def message(self, language: str) -> str:
        """The message in `language` ("zh" or "en"); Chinese is the default."""
        return self.message_en if language.startswith("en") else self.message_zh


class InvalidPosting(Refusal):
    code = "invalid_posting"
    message_en = "The posting is not well formed."
    message_zh = "记账请求格式不正确。"


class LedgerNotFound(Refusal):
    code = "ledger_not_found"
    message_en = "No such ledger."
    message_zh = "账本不存在。"


class AccountNotFound(Refusal):
    code = "account_not_found"
    message_en = "No such account in this ledger."
    message_zh = "该账本中没有这个账户。"


class SameAccount(Refusal):
    code = "same_account"
    message_en = "Debit and credit accounts must differ."
    message_zh = "借方与贷方账户不能相同。"


class InsufficientPoints(Refusal):
    code = "insufficient_points"
    message_en = "Not enough available points."
    message_zh = "可用积分不足。"


class IdempotencyMismatch(Refusal):
    code = "idempotency_mismatch"
    message_en = "This reference was already used for a different posting."
    message_zh = "该幂等键已用于内容不同的记账。"


class HoldNotFound(Refusal):
    code = "hold_not_found"
    message_en = "No such pending hold."
    message_zh = "没有这笔冻结。"


class HoldAlreadyResolved(Refusal):
    code = "hold_already_resolved"
    message_en = "This hold was already committed, voided or expired."
    message_zh = "这笔冻结已经确认、撤销或过期。"


class HoldExpired(Refusal):
    code = "hold_expired"
    message_en = "This hold has expired."
    message_zh = "这笔冻结已过期。"


class HoldNotExpired(Refusal):
    code = "hold_not_expired"
    message_en = "This hold has not expired yet."
    message_zh = "这笔冻结尚未过期。"


class CheckpointNotFound(Refusal):
    code = "checkpoint_not_found"
    message_en = "No checkpoint of that size was issued."
    message_zh = "没有签发该大小的检查点。"


class InvalidProofRequest(Refusal):
    code = "invalid_proof_request"
    message_en = "The proof request names sizes or positions outside the tree."
    message_zh = "证明请求中的位置或大小超出范围。"
