"""The ``kpas`` command: migrate, seed-demo, openapi."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.cli import main
from app.demo import demo_schools
from app.rules.upn import validate_upn
from tests.live import kpas, service_env


def test_migrate_and_seed_are_repeatable(tmp_path: Path) -> None:
    database = tmp_path / "kpas.db"
    env = service_env(f"sqlite+aiosqlite:///{database}")
    kpas("migrate", env=env)
    first = kpas("seed-demo", env=env)
    assert "300 schools, 4 sharing agreements and " in first.stdout
    assert "12 cases opened" in first.stdout
    assert "5 licences added" in first.stdout
    second = kpas("seed-demo", env=env)
    assert "0 schools, 0 sharing agreements and 0 pupils added" in second.stdout
    assert "0 cases opened" in second.stdout
    assert "0 licences added" in second.stdout
    with sqlite3.connect(database) as conn:
        assert conn.execute("select count(*) from schools").fetchone() == (300,)
        assert conn.execute("select count(*) from sharing_agreements").fetchone() == (4,)
        pupils = conn.execute("select count(*) from pupils").fetchone()[0]
        assert f"and {pupils} pupils added" in first.stdout
        # Every pupil has a data subject retained until their 25th birthday, and carers.
        assert conn.execute(
            "select count(*) from pupils p join data_subjects s on s.id = p.subject_id"
            " where s.retain_until is not null"
        ).fetchone() == (pupils,)
        assert conn.execute("select count(*) from pupil_carers").fetchone()[0] >= pupils - 5
        # A few pupils were entered twice, so there is something to resolve.
        assert conn.execute("select count(*) from possible_duplicates").fetchone() == (5,)
        # Demo UPNs are valid and use LA 999, which no authority has.
        for (upn,) in conn.execute("select upn from pupils"):
            assert validate_upn(upn) == upn and upn[1:4] == "999"


def test_demo_data_is_deterministic_and_marked_synthetic() -> None:
    assert demo_schools() == demo_schools()
    schools = demo_schools()
    assert all(s.name.endswith("(synthetic)") for s in schools)
    assert len({s.district for s in schools}) == 12
    assert len({s.urn for s in schools}) == len(schools)


def test_openapi_check_detects_drift(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    assert main(["openapi", "--output", str(target)]) == 0
    assert main(["openapi", "--check", "--output", str(target)]) == 0
    target.write_text(target.read_text().replace("schools_list", "schools_lst"))
    assert main(["openapi", "--check", "--output", str(target)]) == 1
