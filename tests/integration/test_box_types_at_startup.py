"""A box type no active service carries stops the planning scheduler (and a run by hand) at start."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tms.bootstrap import Container
from tms.cli import main
from tms.services.demo import load_demo

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo"


def test_the_scheduler_refuses_to_start_with_a_box_type_no_active_service_carries(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    load_demo(container.uow, DEMO, container.now())
    boxes = tmp_path / "boxes.toml"
    boxes.write_text('[[boxes]]\ncode = "XL"\ninner_cm = [80, 60, 40]\nmax_kg = 30\ncost = 1.80\n')
    env = {"TMS_DATABASE_URL": database_url, "TMS_CONSOLIDATION_BOXES_FILE": str(boxes)}

    refused = CliRunner().invoke(main, ["consolidate", "--date", "2026-03-03"], env=env)

    assert refused.exit_code != 0
    assert "box type XL (800 x 600 x 400 mm) is carried by no service" in refused.output


def test_a_run_by_hand_starts_when_every_box_type_is_carried(container: Container, database_url: str) -> None:
    load_demo(container.uow, DEMO, container.now())
    env = {"TMS_DATABASE_URL": database_url}

    ran = CliRunner().invoke(main, ["consolidate", "--date", "2026-03-03"], env=env)

    assert ran.exit_code == 0, ran.output
