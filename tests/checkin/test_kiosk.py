"""The kiosk: the rotating code, its images (cached per bucket), and who may show them."""

from __future__ import annotations

import io

import PIL.Image
import pytest
import zxingcpp

from checkin import codes, qr
from tests.checkin.helpers import Scene


async def test_the_code_rotates_every_bucket(scene: Scene) -> None:
    """Within a bucket the kiosk shows one code with the seconds left; the next bucket
    brings a new code."""
    event = await scene.event()
    async with scene.world.client("captain") as captain:
        first = (await captain.get(f"/api/v1/events/{event.id}/code")).json()
        scene.clock.advance(seconds=10)
        same = (await captain.get(f"/api/v1/events/{event.id}/code")).json()
        scene.clock.advance(seconds=20)
        rotated = (await captain.get(f"/api/v1/events/{event.id}/code")).json()
    assert first["ttl_seconds"] == 30
    assert first["seconds_left"] == 30
    assert same["token"] == first["token"]
    assert same["seconds_left"] == 20
    assert rotated["token"] != first["token"]
    assert rotated["bucket"] == first["bucket"] + 1
    assert first["url"] == f"http://127.0.0.1:8000/c/{first['token']}"


async def test_images_are_rendered_once_per_bucket(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PNG and SVG are rendered once per bucket however often the kiosk asks, and the PNG
    decodes to the code's URL."""
    rendered: list[str] = []
    real_png, real_svg = qr.png, qr.svg

    def counting_png(text: str) -> bytes:
        rendered.append("png")
        return real_png(text)

    def counting_svg(text: str) -> bytes:
        rendered.append("svg")
        return real_svg(text)

    monkeypatch.setattr(qr, "png", counting_png)
    monkeypatch.setattr(qr, "svg", counting_svg)
    event = await scene.event()
    async with scene.world.client("captain") as captain:
        pngs = [(await captain.get(f"/api/v1/events/{event.id}/code.png")) for _ in range(3)]
        svg = await captain.get(f"/api/v1/events/{event.id}/code.svg")
        await captain.get(f"/api/v1/events/{event.id}/code.svg")
        shown = (await captain.get(f"/api/v1/events/{event.id}/code")).json()
    assert rendered == ["png", "svg"]
    assert len({p.content for p in pngs}) == 1
    assert pngs[0].headers["cache-control"] == "private, max-age=30"
    image = PIL.Image.open(io.BytesIO(pngs[0].content))
    assert image.size[0] == image.size[1]
    assert image.size[0] in {(45 + 8) * qr.BOX_PIXELS, (49 + 8) * qr.BOX_PIXELS}
    [decoded] = zxingcpp.read_barcodes(image)
    assert decoded.text == shown["url"]
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


@pytest.mark.parametrize(
    ("role", "status"), [("resident", 404), ("other_admin", 404), ("admin", 200)]
)
async def test_only_the_teams_captains_and_admins_show_the_code(
    scene: Scene, role: str, status: int
) -> None:
    """Members and other communities' admins get not_found; the community's admin may."""
    event = await scene.event()
    async with scene.world.client(role) as client:
        for suffix in ("code", "code.png", "code.svg"):
            answer = await client.get(f"/api/v1/events/{event.id}/{suffix}")
            assert answer.status_code == status


async def test_no_code_for_an_event_that_is_not_open(scene: Scene) -> None:
    """A scheduled event has no code yet (event_not_open); an ended one none any more."""
    scheduled = await scene.event(opened=False)
    ended = await scene.event(hours=1)
    scene.clock.advance(hours=1)
    async with scene.world.client("captain") as captain:
        not_open = await captain.get(f"/api/v1/events/{scheduled.id}/code")
        closed = await captain.get(f"/api/v1/events/{ended.id}/code.png")
    assert (not_open.status_code, not_open.json()["code"]) == (409, "event_not_open")
    assert (closed.status_code, closed.json()["code"]) == (409, "event_closed")


def test_the_url_is_the_base_and_the_token() -> None:
    """The phone opens `{base}/c/{token}`, with or without a trailing slash on the base."""
    assert codes.url_for("https://jifen.example.cn/", "abc") == "https://jifen.example.cn/c/abc"
