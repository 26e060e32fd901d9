"""The member pages answer in the caller's language, send strangers to log in, and are safe."""

from __future__ import annotations

from tests.api.world import PASSWORD, World


async def test_home_sends_anonymous_visitors_to_login(world: World) -> None:
    """Opening a member page without a login redirects to /login with the way back."""
    async with world.client() as client:
        response = await client.get("/history?before=5", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/login?next=%2Fhistory%3Fbefore%3D5"


async def test_login_form_logs_in_and_returns_to_next(world: World) -> None:
    """The login form accepts the password and lands on the page asked for."""
    async with world.client() as client:
        form = await client.get("/login?next=/history")
        assert "<form" in form.text
        response = await client.post(
            "/login",
            data={
                "identifier": world.username("resident"),
                "password": PASSWORD,
                "next": "/history",
                "_csrf_token": client.cookies.get("jifen_csrf") or "",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/history"
        home = await client.get("/")
    assert home.status_code == 200
    assert 'data-testid="available"' in home.text


async def test_wrong_password_shows_the_form_again(world: World) -> None:
    """A wrong password re-renders the form with the refusal's message and code."""
    async with world.client() as client:
        response = await client.post(
            "/login",
            data={
                "identifier": world.username("resident"),
                "password": "nope-nope",
                "next": "/",
                "_csrf_token": client.cookies.get("jifen_csrf") or "",
            },
        )
    assert response.status_code == 200
    assert 'data-code="bad_credentials"' in response.text
    assert "用户名、手机号或密码错误" in response.text


async def test_login_refuses_to_redirect_off_site(world: World) -> None:
    """A `next` pointing at another host is replaced by the home page."""
    async with world.client() as client:
        response = await client.post(
            "/login",
            data={
                "identifier": world.username("resident"),
                "password": PASSWORD,
                "next": "//evil.example/",
                "_csrf_token": client.cookies.get("jifen_csrf") or "",
            },
            follow_redirects=False,
        )
    assert response.headers["location"] == "/"


async def test_pages_follow_the_language_cookie_and_header(world: World) -> None:
    """Chinese by default, English from Accept-Language, and the switch's cookie wins."""
    async with world.client() as client:
        assert "登录" in (await client.get("/login")).text
        english = await client.get("/login", headers={"accept-language": "en-US,en"})
        assert "Log in" in english.text
        await client.get("/lang/zh?next=/login")
        forced = await client.get("/login", headers={"accept-language": "en-US,en"})
        assert "登录" in forced.text


async def test_pages_carry_a_strict_content_security_policy(world: World) -> None:
    """Every page says: scripts, styles and images from this host only."""
    async with world.client() as client:
        response = await client.get("/login")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_manifest_and_icons_are_served(world: World) -> None:
    """The web manifest and its icons make the pages installable on a home screen."""
    async with world.client() as client:
        manifest = (await client.get("/static/manifest.webmanifest")).json()
        for icon in manifest["icons"]:
            assert (await client.get(icon["src"])).status_code == 200
    assert manifest["start_url"] == "/"
