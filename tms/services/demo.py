"""Demo data: the demo carriers' cards and pickup-point directories (active) and, on a fresh install,
one key per role."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from carriers.points import read_points_csv
from carriers.readers import read_json
from tms.domain.access import Role
from tms.services.access import create_api_key, list_api_keys
from tms.services.pickup_points import store_directory
from tms.services.rate_cards import store_rate_card
from tms.services.unit_of_work import UnitOfWork


@dataclass
class DemoReport:
    lines: list[str] = field(default_factory=list)
    keys: list[tuple[str, str]] = field(default_factory=list)


def load_demo(uow: Callable[[], UnitOfWork], cards_dir: Path, now: datetime) -> DemoReport:
    report = DemoReport()
    for path in sorted(cards_dir.glob("*.json")):
        card = read_json(json.loads(path.read_text()))
        outcome = store_rate_card(
            uow(),
            card,
            source_format="json",
            source_name=path.name,
            uploaded_by="demo",
            activate=True,
            now=now,
        )
        state = "loaded" if outcome.created else "already loaded"
        report.lines.append(f"{card.carrier_name}: card v{outcome.record.version} {state}")
    # A carrier's demo points are pickup/<carrier code>.csv (see docs/demo-data.md for what is made up).
    for path in sorted((cards_dir / "pickup").glob("*.csv")):
        directory = read_points_csv(path.read_bytes(), name=path.name)
        stored = store_directory(
            uow(),
            path.stem,
            directory,
            source_format="csv",
            source_name=path.name,
            uploaded_by="demo",
            activate=True,
            now=now,
        )
        state = "loaded" if stored.created else "already loaded"
        report.lines.append(f"{path.stem}: {len(directory.points)} pickup points, v{stored.record.version} {state}")
    if not list_api_keys(uow()):
        for role in Role:
            _, secret = create_api_key(uow(), name=f"demo {role.value}", role=role, now=now)
            report.keys.append((role.value, secret))
    return report
