"""Basic behaviour of the HTTP service: health, login, profile, refusals as problem details."""

from __future__ import annotations

from tests.api.world import PASSWORD, World


async def test_health_and_ready_answer(world: World) -> None:
    """/health says the process is up and /ready that the database answers."""
    async with world.client() as client:
        assert (await client.get("/health")).json() == {"status": "ok"}
        assert (await client.get("/ready")).json() == {"status": "ready"}


async def test_login_then_profile_then_logout(world: World) -> None:
    """A member logs in, reads their profile, logs out, and is then refused."""
    async with world.client("captain") as client:
        profile = (await client.get("/api/v1/me")).json()
        assert profile["member_id"] == world.id_of("captain")
        assert "captain" in profile["roles"]
        assert (await client.post("/api/v1/auth/logout")).status_code == 204
        refused = await client.get("/api/v1/me")
        assert refused.status_code == 401
        assert refused.json()["code"] == "not_authenticated"


async def test_wrong_password_is_a_problem_with_a_code(world: World) -> None:
    """A wrong password gives 401 problem details with code bad_credentials in both languages."""
    async with world.client() as client:
        response = await client.post(
            "/api/v1/auth/login",
            json={"identifier": world.username("resident"), "password": PASSWORD + "x"},
            headers={"accept-language": "en-GB,en;q=0.9"},
        )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "bad_credentials"
    assert body["title"] == "Wrong user name, phone number or password."
    assert body["message_zh"] == "用户名、手机号或密码错误。"


async def test_balance_starts_at_zero(world: World) -> None:
    """A new member has no points, none held."""
    async with world.client("resident") as client:
        balance = (await client.get("/api/v1/me/balance")).json()
    assert balance == {"balance_points": 0, "held_points": 0, "available_points": 0}
