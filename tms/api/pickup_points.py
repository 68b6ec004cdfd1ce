"""Pickup-point directories (upload, list, activate, retire) and the nearest points for the checkout."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from carriers.points import Directory, parse_points_json, read_points_csv, read_points_json
from tms.api.auth import current_key, protected
from tms.api.blueprint import api_blueprint
from tms.api.context import json_object, services
from tms.api.reading import CITY_MAX, CODE_MAX, Country, Kilograms, QuerySchema, Text, place_problem, read_postcode
from tms.domain.access import Role
from tms.domain.errors import InvalidInput, Problem
from tms.domain.pickup_points import WEEKDAYS, DirectoryStatus, hours_text
from tms.services import pickup_points as directories
from tms.services.pickup_points import Found, PointSearch

URL_PREFIX = ""
MAX_LIMIT = 50

blp = api_blueprint("pickup_points", __name__, description="Carriers' pickup-point directories and the nearest points")

UPLOAD_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"type": "object", "description": "The directory JSON format"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary", "description": "A .csv or .json file"}},
            }
        },
    },
}


class DirectoryUploadQuerySchema(QuerySchema):
    carrier = Text(required=True, max_length=CODE_MAX, metadata={"example": "mondial_relay"})
    activate = fields.Boolean(load_default=False, metadata={"description": "Put it in use at once (else a draft)"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Only check it; store nothing"})


class DirectoryListQuerySchema(QuerySchema):
    carrier = Text(max_length=CODE_MAX)
    status = fields.Enum(DirectoryStatus, by_value=True)


class DirectorySchema(Schema):
    id = fields.Integer(required=True)
    carrier = fields.String(required=True, attribute="carrier_code")
    version = fields.Integer(required=True)
    status = fields.Enum(DirectoryStatus, by_value=True, required=True)
    point_count = fields.Integer(required=True)
    checksum = fields.String(required=True)
    source_format = fields.String(required=True)
    source_name = fields.String(required=True)
    uploaded_at = fields.DateTime(required=True)
    uploaded_by = fields.String(required=True)
    activated_at = fields.DateTime(allow_none=True)
    retired_at = fields.DateTime(allow_none=True)


class DirectoryUploadResultSchema(Schema):
    created = fields.Boolean(required=True, metadata={"description": "False when the same directory was stored before"})
    directory = fields.Nested(DirectorySchema, required=True)


class DirectoryCheckSchema(Schema):
    valid = fields.Boolean(required=True)
    carrier = fields.String(required=True)
    point_count = fields.Integer(required=True)


class OptionalPostcode(Text):
    """A postcode, normalised (`1012 ab` -> `1012AB`); absent when empty."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        return None if text is None else read_postcode(text)


class PointQuerySchema(QuerySchema):
    country = Country(load_default="FR", metadata={"description": "ISO 3166 code; FR by default"})
    postcode = OptionalPostcode(max_length=16, metadata={"example": "69003"})
    city = Text(max_length=CITY_MAX)
    lat = fields.Float(
        validate=validate.Range(-90, 90, error="must be between -90 and 90"),
        allow_nan=False,
        metadata={"description": "The shopper's latitude (with lon): used before the postcode"},
    )
    lon = fields.Float(validate=validate.Range(-180, 180, error="must be between -180 and 180"), allow_nan=False)
    carrier = Text(max_length=CODE_MAX, metadata={"description": "Only this carrier's points"})
    limit = fields.Integer(
        load_default=10, validate=validate.Range(1, MAX_LIMIT, error=f"must be between 1 and {MAX_LIMIT}")
    )
    weight_kg = Kilograms(load_default=None, metadata={"description": "Only points that take a parcel this heavy"})

    @validates_schema(skip_on_field_errors=True)
    def _place(self, data: dict[str, Any], **_: Any) -> None:
        data["country"] = data.get("country") or "FR"  # an empty country is the default one
        if ("lat" in data) != ("lon" in data):
            missing = "lon" if "lat" in data else "lat"
            raise ValidationError("is required with " + ("lat" if missing == "lon" else "lon"), field_name=missing)
        if data.get("postcode") is not None:
            problem = place_problem(data["country"], data["postcode"])
            if problem:
                raise ValidationError(problem, field_name="postcode")
        if "lat" not in data and not data.get("postcode") and not data.get("city"):
            raise ValidationError("give lat and lon, or a postcode (or a city)", field_name="postcode")


class PositionSchema(Schema):
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    source = fields.String(
        required=True, metadata={"description": "coordinates, postcode, city or department (see docs/pickup-points.md)"}
    )


class HoursSchema(Schema):
    monday = fields.String(required=True, metadata={"example": "09:00-12:00 14:00-19:00"})
    tuesday = fields.String(required=True)
    wednesday = fields.String(required=True)
    thursday = fields.String(required=True)
    friday = fields.String(required=True)
    saturday = fields.String(required=True)
    sunday = fields.String(required=True)


class PointSchema(Schema):
    carrier = fields.String(required=True)
    id = fields.String(required=True)
    name = fields.String(required=True)
    address = fields.String(required=True)
    postcode = fields.String(required=True)
    city = fields.String(required=True)
    country = fields.String(required=True)
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    kind = fields.String(required=True, metadata={"description": "relay or locker"})
    distance_m = fields.Integer(required=True, metadata={"description": "Great-circle distance from the position"})
    open_now = fields.Boolean(required=True)
    next_opening = fields.DateTime(required=True, metadata={"description": "Now when open now"})
    hours = fields.Nested(HoursSchema, required=True)
    closures = fields.List(fields.String(), required=True, metadata={"description": "first/last day, inclusive"})
    max_weight_kg = fields.Float(allow_none=True)
    max_length_cm = fields.Float(allow_none=True)
    compartments_cm = fields.List(fields.String(), required=True)


class PointsNearbySchema(Schema):
    position = fields.Nested(PositionSchema, allow_none=True, required=True)
    points = fields.List(fields.Nested(PointSchema), required=True)
    carriers_without_directory = fields.List(fields.String(), required=True)


def _read_upload() -> tuple[Directory, str, str]:
    limit = services().settings.uploads_max_pickup_points
    if request.mimetype == "multipart/form-data":
        files = list(request.files.items(multi=True))
        if len(files) != 1 or files[0][0] != "file":
            raise InvalidInput(
                "the request is not valid", [Problem("send one .csv or .json file in field 'file'", field="file")]
            )
        storage = files[0][1]
        name = storage.filename or "file"
        data = storage.read()
        if name.lower().endswith(".json"):
            return parse_points_json(data, max_points=limit), "json", name
        return read_points_csv(data, name=name, max_points=limit), "csv", name
    return read_points_json(json_object(), max_points=limit), "json", "request body"


@blp.route("/pickup-directories", methods=["POST"])
@protected(blp, Role.MANAGER)
@blp.arguments(DirectoryUploadQuerySchema, location="query", as_kwargs=True)
@blp.doc(requestBody=UPLOAD_BODY)
@blp.response(201, DirectoryUploadResultSchema, description="Stored (200 with created=false if stored before)")
@blp.alt_response(200, schema=DirectoryCheckSchema, description="dry_run: the directory is valid, nothing stored")
@blp.alt_response(422, schema="Error", description="Refused; every problem is listed with its row and column")
def upload_directory(carrier: str, activate: bool, dry_run: bool) -> Any:
    """Upload a carrier's pickup-point directory (CSV or JSON); all-or-nothing, a new version."""
    container = services()
    directory, source_format, source_name = _read_upload()
    if dry_run:
        with container.uow() as uow:
            if uow.carriers.get(carrier) is None:
                raise directories.unknown_carrier(carrier)
        # A response of its own: @blp.response would dump it with the stored directory's schema, as a 201.
        return jsonify(
            DirectoryCheckSchema().dump({"valid": True, "carrier": carrier, "point_count": len(directory.points)})
        )
    outcome = directories.store_directory(
        container.uow(),
        carrier,
        directory,
        source_format=source_format,
        source_name=source_name,
        uploaded_by=current_key().name,
        activate=activate,
        now=container.now(),
    )
    if outcome.record.status is DirectoryStatus.ACTIVE:
        container.pickup_index.refresh((outcome.record, directory.points))
    return {"created": outcome.created, "directory": outcome.record}, 201 if outcome.created else 200


@blp.route("/pickup-directories", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(DirectoryListQuerySchema, location="query")
@blp.response(200, DirectorySchema(many=True))
def list_directories(query: dict[str, Any]) -> Any:
    """Every stored version, newest first per carrier."""
    return directories.list_directories(services().uow(), carrier_code=query.get("carrier"), status=query.get("status"))


@blp.route("/pickup-directories/<int:directory_id>", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, DirectorySchema)
@blp.alt_response(404, schema="Error", description="No such directory")
def show_directory(directory_id: int) -> Any:
    """One stored version."""
    return directories.get_directory(services().uow(), directory_id)


@blp.route("/pickup-directories/<int:directory_id>/activate", methods=["POST"])
@protected(blp, Role.MANAGER)
@blp.response(200, DirectorySchema)
@blp.alt_response(404, schema="Error", description="No such directory")
@blp.alt_response(409, schema="Error", description="The directory is not a draft")
def activate_directory(directory_id: int) -> Any:
    """Put a draft in use: its carrier's points come from it (the version in use before is retired)."""
    container = services()
    record = directories.activate_directory(container.uow(), directory_id, container.now())
    container.pickup_index.refresh()
    return record


@blp.route("/pickup-directories/<int:directory_id>/retire", methods=["POST"])
@protected(blp, Role.MANAGER)
@blp.response(200, DirectorySchema)
@blp.alt_response(404, schema="Error", description="No such directory")
@blp.alt_response(409, schema="Error", description="Already retired")
def retire_directory(directory_id: int) -> Any:
    """Stop offering a version's points; it is kept for history."""
    container = services()
    record = directories.retire_directory(container.uow(), directory_id, container.now())
    container.pickup_index.refresh()
    return record


def _point(found: Found, zone: ZoneInfo, at: datetime) -> dict[str, Any]:
    point = found.point
    return {
        "carrier": found.carrier_code,
        "id": point.point_id,
        "name": point.name,
        "address": point.address,
        "postcode": point.postcode,
        "city": point.city,
        "country": point.country,
        "latitude": point.latitude,
        "longitude": point.longitude,
        "kind": point.kind.value,
        "distance_m": found.distance_m,
        "open_now": found.next_opening == at,
        "next_opening": found.next_opening.replace(tzinfo=zone),
        "hours": {day: hours_text(ranges) for day, ranges in zip(WEEKDAYS, point.hours, strict=True)},
        "closures": [f"{a.isoformat()}/{b.isoformat()}" for a, b in point.closures],
        "max_weight_kg": None if point.max_weight_g is None else point.max_weight_g / 1000,
        "max_length_cm": None if point.max_length_mm is None else point.max_length_mm / 10,
        "compartments_cm": ["x".join(f"{s / 10:g}" for s in size) for size in point.compartments_mm],
    }


@blp.route("/pickup-points", methods=["GET"])
@protected(blp, Role.CHECKOUT)
@blp.arguments(PointQuerySchema, location="query")
@blp.response(200, PointsNearbySchema)
def nearest_points(query: dict[str, Any]) -> Any:
    """The nearest points open for use (and taking the weight), nearest first, with their hours and
    next opening. The position is the coordinates when sent, else derived from the postcode (or city)."""
    container = services()
    zone = ZoneInfo(container.settings.timezone)
    at = container.now().astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    search = PointSearch(
        country=query["country"],
        postcode=query.get("postcode"),
        city=query.get("city"),
        latitude=query.get("lat"),
        longitude=query.get("lon"),
        carrier=query.get("carrier"),
        limit=query["limit"],
        weight_g=query.get("weight_kg"),
    )
    result = directories.find_pickup_points(container.pickup_index.current(), search, at)
    return {
        "position": result.position,
        "points": [_point(f, zone, at) for f in result.found],
        "carriers_without_directory": result.without_directory,
    }
