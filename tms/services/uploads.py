"""Turn what a manager sends (a workbook, CSV tables, JSON) into a checked RateCard, or refuse it."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from carriers.limits import UploadLimits
from carriers.model import RateCard
from carriers.readers import NESTED_TOO_DEEPLY, read_csv_files, read_json, read_upload
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


def upload_limits(settings: Any) -> UploadLimits:
    """The limits of `[uploads]` in the settings (`uploads_max_rows`, ... ; TMS_UPLOADS_MAX_ROWS, ...)."""
    return UploadLimits(
        **{name: getattr(settings, f"uploads_max_{name}") for name in UploadLimits.__dataclass_fields__}
    )


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Reading a card allocates up to a few hundred thousand small objects and no cycles; the
    cyclic collector would walk them again and again (a third of the time of a card at the
    limits, `python -m bench uploads`). It is paused while one upload is read: memory is bounded
    by the upload limits, and the collector resumes after, whatever happens."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _refuse(message: str, field: str) -> InvalidInput:
    return InvalidInput("the rate card was refused", [Problem(message, field=field)])


def card_from_json(document: dict[str, Any], limits: UploadLimits | None = None) -> ParsedUpload:
    """A card sent as the request's JSON body (read by the API's one rule for JSON bodies)."""
    with _without_cycle_collection():
        card = read_json(document, limits or UploadLimits())
    return ParsedUpload(card, "json", "request body")


def parse_json_body(raw: bytes, limits: UploadLimits | None = None) -> ParsedUpload:
    """A card from the raw bytes of a JSON body: refused with 422 on `body` when empty, not JSON, nested
    too deeply or not an object."""
    if not raw.strip():
        raise _refuse("the body is empty; send the rate card as a JSON object", "body")
    try:
        document = json.loads(raw, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _refuse(f"not valid JSON: {error}", "body") from None
    except RecursionError:
        raise _refuse(NESTED_TOO_DEEPLY, "body") from None
    if not isinstance(document, dict):
        raise _refuse("the rate card must be a JSON object", "body")
    return card_from_json(document, limits)


def parse_files(
    files: list[UploadedFile], *, max_uncompressed_bytes: int, limits: UploadLimits | None = None
) -> ParsedUpload:
    """One workbook (or JSON file) in field `file`, or one CSV file per table named by its field;
    within `limits` (by default those of config/default.toml)."""
    limits = limits or UploadLimits()
    if not files:
        raise _refuse("no file sent: send a workbook in field 'file' or one CSV file per table", "file")
    by_field = {f.field: f for f in files}
    if "file" in by_field:
        extra = sorted(set(by_field) - {"file"})
        if extra:
            raise _refuse(f"send either one file in 'file' or CSV tables, not both (also got {extra})", extra[0])
        upload = by_field["file"]
        with _without_cycle_collection():
            card = read_upload(
                upload.filename, None, upload.data, max_uncompressed_bytes=max_uncompressed_bytes, limits=limits
            )
        kind = "xlsx" if upload.filename.lower().endswith(".xlsx") else "json"
        return ParsedUpload(card, kind, upload.filename)
    unknown = sorted(set(by_field) - set(CSV_TABLES))
    if unknown:
        raise InvalidInput(
            "the rate card was refused",
            [Problem(f"unknown table; expected one of {', '.join(CSV_TABLES)}", field=f) for f in unknown],
        )
    tables: Mapping[str, bytes] = {f.field: f.data for f in files}
    with _without_cycle_collection():
        card = read_csv_files(tables, limits)
    return ParsedUpload(card, "csv", ", ".join(f.filename or f.field for f in files))
