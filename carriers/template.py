"""The rate-card template: the example card as a workbook and as CSV files.

`python -m carriers.template` rewrites config/rate-card-template.xlsx and
config/examples/csv/*.csv from config/examples/rate-card.json, so the three
examples always describe the same card.
"""

from __future__ import annotations

from pathlib import Path

from carriers.model import RateCard
from carriers.readers import parse_json, read_json
from carriers.writers import write_csv_files, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_JSON = ROOT / "config" / "examples" / "rate-card.json"
TEMPLATE_XLSX = ROOT / "config" / "rate-card-template.xlsx"
EXAMPLE_CSV_DIR = ROOT / "config" / "examples" / "csv"


def example_card() -> RateCard:
    return read_json(parse_json(EXAMPLE_JSON.read_bytes()))


def template_workbook() -> bytes:
    """The workbook a carrier manager downloads to fill in: the example card."""
    return write_xlsx(example_card())


def main() -> None:
    card = example_card()
    TEMPLATE_XLSX.write_bytes(write_xlsx(card))
    print(f"wrote {TEMPLATE_XLSX.relative_to(ROOT)}")
    EXAMPLE_CSV_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in write_csv_files(card).items():
        (EXAMPLE_CSV_DIR / name).write_bytes(data)
        print(f"wrote {(EXAMPLE_CSV_DIR / name).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
