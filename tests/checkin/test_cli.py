"""`jifen rules check` and `jifen rules simulate` (the functions the CLI calls)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from checkin import rulesets
from cli.rules_commands import rules_check, rules_simulate
from config.settings import Settings
from tests.checkin.helpers import Scene
from tests.checkin.test_rulesets import BAD, SPRING


def test_check_prints_the_hash_and_activities(tmp_path: Path) -> None:
    """A valid file: exit 0 with its hash and one line per activity."""
    path = tmp_path / "spring.toml"
    path.write_text(SPRING, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert rules_check(path, out=out, err=err) == 0
    assert f"hash: {rulesets.check(SPRING, file_name='x').hash}" in out.getvalue()
    assert "new_year_banquet" in out.getvalue()
    assert "坝坝席迎新年" in out.getvalue()
    assert err.getvalue() == ""


def test_check_names_the_problem(tmp_path: Path) -> None:
    """An invalid file: exit 1 and the file, line and key in both languages."""
    path = tmp_path / "bad.toml"
    path.write_text(BAD, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert rules_check(path, out=out, err=err) == 1
    assert f"{path}:11: activities.new_year_banquet.base_points:" in err.getvalue()
    assert "积分规则无效" in err.getvalue()
    assert out.getvalue() == ""


async def test_simulate_prints_awarded_beside_the_draft(scene: Scene, tmp_path: Path) -> None:
    """Over real approved check-ins, each row shows awarded, would-award and difference."""
    event = await scene.event()
    checkin = (await scene.scan("resident", await scene.code(event))).checkin
    await scene.approve("captain", checkin.id or 0)
    path = tmp_path / "spring.toml"
    path.write_text(SPRING, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    settings = Settings(database_url=scene.world.db.url)
    status = await rules_simulate(
        settings, path, date(2026, 3, 1), scene.community.ledger_id, out=out, err=err
    )
    assert status == 0, err.getvalue()
    lines = out.getvalue().splitlines()
    assert any(
        line.split()[:5] == [str(checkin.id), str(checkin.member_id), "80", "100", "+20"]
        for line in lines
    )
    assert lines[-1].split()[:4] == ["total", "80", "100", "+20"]
    missing = await rules_simulate(settings, path, "2026-03-01", "no-such-ledger", out=out, err=err)
    assert missing == 1
    assert "no community with ledger 'no-such-ledger'" in err.getvalue()
