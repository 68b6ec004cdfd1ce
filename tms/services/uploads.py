"""Turn what a manager sends (a workbook, CSV tables, JSON) into a checked RateCard, or refuse it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carriers.model import RateCard
from carriers.readers import read_csv_files, read_json, read_upload
from tms.domain.errors import InvalidInput, Problem

CSV_TABLES = ("card", "services", "zones", "transit", "prices", "surcharges", "tiers")


@dataclass(frozen=True)
class UploadedFile:
    field: str  # the multipart field it came in
    filename: str
    data: bytes


@dataclass(frozen=True)
class ParsedUpload:
    card: RateCard
    source_format: str
    source_name: str


def _refuse(message: str, field: str) -> InvalidInput:
    return InvalidInput("the rate card was refused", [Problem(message, field=field)])


def card_from_json(document: dict[str, Any]) -> ParsedUpload:
    """A card sent as the request's JSON body (read by the API's one rule for JSON bodies)."""
    return ParsedUpload(read_json(document), "json", "request body")


def parse_files(files: list[UploadedFile], *, max_uncompressed_bytes: int) -> ParsedUpload:
    """One workbook (or JSON file) in field `file`, or one CSV file per table named by its field."""
    if not files:
        raise _refuse("no file sent: send a workbook in field 'file' or one CSV file per table", "file")
    by_field = {f.field: f for f in files}
    if "file" in by_field:
        extra = sorted(set(by_field) - {"file"})
        if extra:
            raise _refuse(f"send either one file in 'file' or CSV tables, not both (also got {extra})", extra[0])
        upload = by_field["file"]
        card = read_upload(upload.filename, None, upload.data, max_uncompressed_bytes=max_uncompressed_bytes)
        kind = "xlsx" if upload.filename.lower().endswith(".xlsx") else "json"
        return ParsedUpload(card, kind, upload.filename)
    unknown = sorted(set(by_field) - set(CSV_TABLES))
    if unknown:
        raise InvalidInput(
            "the rate card was refused",
            [Problem(f"unknown table; expected one of {', '.join(CSV_TABLES)}", field=f) for f in unknown],
        )
    tables: Mapping[str, bytes] = {f.field: f.data for f in files}
    card = read_csv_files(tables)
    return ParsedUpload(card, "csv", ", ".join(f.filename or f.field for f in files))
