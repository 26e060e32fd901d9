"""Refusals of the organisation layer."""

from __future__ import annotations

from ledger.errors import Refusal


class NotFound(Refusal):
    """Also what callers get for objects outside their scope, so ids leak nothing."""

    code = "not_found"
    message_en = "No such object."
    message_zh = "对象不存在。"


class Forbidden(Refusal):
    code = "forbidden"
    message_en = "You may not do this."
    message_zh = "您没有权限执行此操作。"


class NotAuthenticated(Refusal):
    code = "not_authenticated"
    message_en = "Please log in."
    message_zh = "请先登录。"


class AlreadyTaken(Refusal):
    code = "already_taken"
    message_en = "That user name or phone number is already registered."
    message_zh = "该用户名或手机号已被注册。"


class InvalidInput(Refusal):
    code = "invalid_input"
    message_en = "Some input is not valid."
    message_zh = "输入内容不正确。"


class BadCredentials(Refusal):
    code = "bad_credentials"
    message_en = "Wrong user name, phone number or password."
    message_zh = "用户名、手机号或密码错误。"


class SetupCodeInvalid(Refusal):
    code = "setup_code_invalid"
    message_en = "The set-up code is wrong or has expired."
    message_zh = "设置码错误或已过期。"


class WeakPassword(Refusal):
    code = "weak_password"
    message_en = "Choose a password of at least 8 characters."
    message_zh = "密码至少需要 8 个字符。"


class MemberErased(Refusal):
    code = "member_erased"
    message_en = "This member's personal data was erased; the account can no longer be changed."
    message_zh = "该成员的个人信息已被删除。账户不能再修改。"


class AlreadyGranted(Refusal):
    code = "already_granted"
    message_en = "The member already holds this role."
    message_zh = "该成员已拥有此角色。"
