"""Pickup points at checkout: a pickup-point or locker option carries the nearest suitable points of
its carrier, with their distance and the days the parcel is there; an option with none is excluded.

The card (tests/api/test_quotes.py): ordered Monday 2 March 10:00 in Paris, it ships that day; its
RELAY service delivers on Thursday 5 or Friday 6 March in mainland France; the promise is 10 March.
Distances are checked with the haversine formula on a sphere of the Earth's mean radius.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from typing import Any

from tests.api.test_quotes import QUOTES, a_card, a_grid, a_service, an_order, shopify_request

EARTH_M = 6_371_008.8
SHOPPER = (45.7600, 4.8500)  # in Lyon's 3rd arrondissement
COLUMNS = ["id", "name", "address", "postcode", "city", "country", "latitude", "longitude", "kind"]
WEEK = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
SHOP_HOURS = ["09:00-19:00"] * 6 + [""]


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(h))


def north_of(position: tuple[float, float], metres: float) -> tuple[float, float]:
    return (position[0] + metres / (EARTH_M * math.pi / 180), position[1])


def a_point(point_id: str, at: tuple[float, float], *, kind: str = "relay", **extra: str) -> dict[str, str]:
    hours = ["00:00-24:00"] * 7 if kind == "locker" else SHOP_HOURS
    return {
        "id": point_id,
        "name": f"Point {point_id}",
        "address": f"{point_id} rue Garibaldi",
        "postcode": "69003",
        "city": "Lyon",
        "country": "FR",
        "latitude": f"{at[0]:.6f}",
        "longitude": f"{at[1]:.6f}",
        "kind": kind,
        **dict(zip(WEEK, hours, strict=True)),
        **extra,
    }


def upload_points(client, manager, carrier: str, points: list[dict[str, str]]) -> None:
    columns = [*COLUMNS, *WEEK, "closures", "max_weight_kg", "max_length_cm", "compartments_cm"]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(points)
    response = client.post(
        f"/api/v1/pickup-directories?carrier={carrier}&activate=true",
        data={"file": (io.BytesIO(out.getvalue().encode()), "points.csv")},
        headers=manager,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()


def ask(client, checkout, **changes: Any) -> dict[str, Any]:
    response = client.post(QUOTES, json=an_order(**changes), headers=checkout)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def at_shopper(**destination: Any) -> dict[str, Any]:
    return {"country": "FR", "postcode": "69003", "city": "Lyon", "latitude": SHOPPER[0], "longitude": SHOPPER[1]}


def relay_option(body: dict[str, Any], carrier: str = "acme") -> dict[str, Any] | None:
    return next((o for o in body["options"] if o["carrier"] == carrier and o["mode"] == "pickup_point"), None)


def exclusion(body: dict[str, Any], carrier: str, service: str) -> dict[str, Any] | None:
    return next((e for e in body["excluded"] if (e["carrier"], e["service"]) == (carrier, service)), None)


def test_the_option_carries_the_n_nearest_points_nearest_first_with_their_true_distance(
    client, checkout, manager, cards
) -> None:
    cards(a_card())
    spots = {name: north_of(SHOPPER, metres) for name, metres in [("P3", 2500), ("P1", 120), ("P4", 9000), ("P2", 700)]}
    upload_points(client, manager, "acme", [a_point(name, at) for name, at in spots.items()])

    body = ask(client, checkout, destination=at_shopper(), points=2)
    option = relay_option(body)
    assert option is not None
    assert [p["id"] for p in option["points"]] == ["P1", "P2"]
    for point in option["points"]:
        assert abs(point["distance_m"] - haversine_m(SHOPPER, spots[point["id"]])) <= 1
        assert (point["available_from"], point["available_by"]) == (
            option["delivery"]["earliest"],
            option["delivery"]["latest"],
        )  # open Thursday and Friday
    assert len(relay_option(ask(client, checkout, destination=at_shopper()))["points"]) == 3  # three by default
    home = next(o for o in body["options"] if o["mode"] == "home")
    assert "points" not in home


def test_without_coordinates_the_distance_is_from_the_postcodes_points(client, checkout, manager, cards) -> None:
    cards(a_card())
    spots = [north_of(SHOPPER, 0), north_of(SHOPPER, 300), north_of(SHOPPER, 1500)]  # the mean: 600 m north
    upload_points(client, manager, "acme", [a_point(f"P{n}", at) for n, at in enumerate(spots)])
    centre = (sum(p[0] for p in spots) / 3, sum(p[1] for p in spots) / 3)  # the postcode's position
    option = relay_option(ask(client, checkout))
    assert option is not None
    assert [p["id"] for p in option["points"]] == ["P1", "P0", "P2"]  # 300, 600 and 900 m away
    for point in option["points"]:
        expected = haversine_m(centre, spots[int(point["id"][1:])])
        assert abs(point["distance_m"] - expected) <= 1


def test_a_closed_point_says_when_the_parcel_is_there_and_one_closed_past_the_promise_is_not_offered(
    client, checkout, manager, cards
) -> None:
    cards(a_card())
    upload_points(
        client,
        manager,
        "acme",
        [
            a_point("SHUT", north_of(SHOPPER, 50), closures="2026-03-01/2026-03-15"),  # past the 10th
            a_point("LATE", north_of(SHOPPER, 100), closures="2026-03-05/2026-03-08"),  # reopens Monday 9th
            a_point("OPEN", north_of(SHOPPER, 400)),
        ],
    )
    option = relay_option(ask(client, checkout, destination=at_shopper()))
    assert option is not None
    points = {p["id"]: p for p in option["points"]}
    assert list(points) == ["LATE", "OPEN"]
    assert (points["LATE"]["available_from"], points["LATE"]["available_by"]) == ("2026-03-09", "2026-03-09")
    assert (points["OPEN"]["available_from"], points["OPEN"]["available_by"]) == ("2026-03-05", "2026-03-06")


def test_points_that_cannot_take_the_parcel_are_skipped_and_with_none_left_the_option_is_excluded(
    client, checkout, manager, cards
) -> None:
    cards(a_card())
    upload_points(
        client,
        manager,
        "acme",
        [
            a_point("LIGHT", north_of(SHOPPER, 100), max_weight_kg="5"),
            a_point("SHORT", north_of(SHOPPER, 200), max_length_cm="25"),
            a_point("BIG", north_of(SHOPPER, 3000), max_weight_kg="20", max_length_cm="100"),
        ],
    )
    parcel = {"weight_kg": 8, "length_cm": 30, "width_cm": 20, "height_cm": 10}
    option = relay_option(ask(client, checkout, destination=at_shopper(), parcels=[parcel]))
    assert option is not None and [p["id"] for p in option["points"]] == ["BIG"]

    heavier = {**parcel, "weight_kg": 9.5, "length_cm": 99}
    upload_points(client, manager, "acme", [a_point("LIGHT", north_of(SHOPPER, 100), max_weight_kg="5")])
    body = ask(client, checkout, destination=at_shopper(), parcels=[heavier])
    assert relay_option(body) is None
    refused = exclusion(body, "acme", "RELAY")
    assert refused is not None and refused["reason"] == "no_point_nearby"
    assert body["cheapest"]["pickup_point"] is None


def test_a_point_past_the_radius_is_not_offered(client, checkout, manager, cards) -> None:
    cards(a_card())
    upload_points(client, manager, "acme", [a_point("FAR", north_of(SHOPPER, 16_000))])  # the radius is 15 km
    body = ask(client, checkout, destination=at_shopper())
    refused = exclusion(body, "acme", "RELAY")
    assert refused is not None and refused["reason"] == "no_point_nearby" and "15 km" in refused["detail"]

    upload_points(client, manager, "acme", [a_point("NEAR", north_of(SHOPPER, 14_000))])
    option = relay_option(ask(client, checkout, destination=at_shopper()))
    assert option is not None and [p["id"] for p in option["points"]] == ["NEAR"]


def test_a_carrier_without_a_directory_offers_no_pickup_point_option_and_says_why(
    client, checkout, manager, cards, container
) -> None:
    cards(a_card())
    response = client.post("/api/v1/rate-cards?activate=true", json=a_card("zeta"), headers=manager)
    assert response.status_code == 201
    container.quote_book.refresh()
    body = ask(client, checkout)
    refused = exclusion(body, "zeta", "RELAY")
    assert refused is not None and refused["reason"] == "no_directory"
    assert relay_option(body, "zeta") is None and relay_option(body, "acme") is not None
    assert any(o["carrier"] == "zeta" and o["mode"] == "home" for o in body["options"])


def test_a_locker_option_offers_lockers_whose_compartments_take_the_parcel(client, checkout, manager, cards) -> None:
    card = a_card(
        services=[a_service("HOME", "home"), a_service("BOX", "locker", transit={"FR": [3, 4]})],
        prices=[a_grid("HOME", "FR", [(2, 6.00), (10, 9.00)]), a_grid("BOX", "FR", [(2, 3.90), (10, 6.00)])],
    )
    cards(card)
    upload_points(
        client,
        manager,
        "acme",
        [
            a_point("RELAY", north_of(SHOPPER, 50)),
            a_point("SMALL", north_of(SHOPPER, 100), kind="locker", compartments_cm="8x38x64"),
            a_point("LARGE", north_of(SHOPPER, 900), kind="locker", compartments_cm="8x38x64;19x38x64;39x38x64"),
        ],
    )
    body = ask(client, checkout, destination=at_shopper())  # a 30 x 20 x 10 cm parcel: 10 cm > 8
    locker = next(o for o in body["options"] if o["mode"] == "locker")
    assert [p["id"] for p in locker["points"]] == ["LARGE"]
    assert locker["points"][0]["kind"] == "locker"

    too_big = {"weight_kg": 2, "length_cm": 70, "width_cm": 20, "height_cm": 10}
    body = ask(client, checkout, destination=at_shopper(), parcels=[too_big])
    refused = exclusion(body, "acme", "BOX")
    assert refused is not None and refused["reason"] == "no_point_nearby"


def test_the_summary_view_shows_the_points_of_the_cheapest_pickup_option(client, checkout, manager, cards) -> None:
    cards(a_card())
    upload_points(client, manager, "acme", [a_point("P1", north_of(SHOPPER, 100))])
    body = ask(client, checkout, destination=at_shopper(), view="summary")
    assert [p["id"] for p in body["cheapest"]["pickup_point"]["points"]] == ["P1"]
    assert "points" not in body["cheapest"]["home"]


def test_bad_coordinates_and_point_counts_are_422_naming_the_field(client, checkout, cards) -> None:
    cards(a_card())
    for destination, points, field in [
        ({**at_shopper(), "latitude": 91}, None, "destination.latitude"),
        ({**at_shopper(), "longitude": -180.5}, None, "destination.longitude"),
        ({**at_shopper(), "latitude": "45.7"}, None, "destination.latitude"),
        ({"country": "FR", "postcode": "69003", "latitude": 45.7}, None, "destination.longitude"),
        (at_shopper(), 0, "points"),
        (at_shopper(), 11, "points"),
        (at_shopper(), 2.5, "points"),
    ]:
        changes: dict[str, Any] = {"destination": destination}
        if points is not None:
            changes["points"] = points
        response = client.post(QUOTES, json=an_order(**changes), headers=checkout)
        assert response.status_code == 422, (destination, points)
        assert field in [e["field"] for e in response.get_json()["errors"]], response.get_json()


def test_the_shopify_callback_lists_the_points_as_rates_when_set(client, checkout, manager, cards, container) -> None:
    cards(a_card())
    upload_points(
        client, manager, "acme", [a_point("P1", north_of(SHOPPER, 100)), a_point("P2", north_of(SHOPPER, 1500))]
    )
    url = "/api/v1/integrations/shopify/rates"
    plain = client.post(url, json=shopify_request(), headers=checkout).get_json()["rates"]
    assert sorted(r["service_code"] for r in plain) == ["acme:HOME", "acme:RELAY"]
    container.settings = replace(container.settings, shopify_points_as_rates=True)
    rates = client.post(url, json=shopify_request(), headers=checkout).get_json()["rates"]
    codes = [r["service_code"] for r in rates]
    assert "acme:RELAY:P1" in codes and "acme:RELAY:P2" in codes and "acme:RELAY" not in codes
    by_code = {r["service_code"]: r for r in rates}
    assert "Point P1" in by_code["acme:RELAY:P1"]["service_name"]
    relay = next(r for r in plain if r["service_code"] == "acme:RELAY")
    assert by_code["acme:RELAY:P1"]["total_price"] == relay["total_price"]


def test_quotes_to_one_postcode_get_the_points_their_parcels_dates_promise_and_count_allow(
    client, checkout, manager, cards
) -> None:
    cards(a_card())
    upload_points(
        client,
        manager,
        "acme",
        [
            a_point("LIGHT", north_of(SHOPPER, 0), max_weight_kg="5"),  # the postcode: 400 m north, the mean
            a_point("LATE", north_of(SHOPPER, 100), closures="2026-03-05/2026-03-08"),  # reopens Monday 9th
            a_point("BIG", north_of(SHOPPER, 1100), max_weight_kg="20"),
        ],
    )
    light = {"weight_kg": 1, "length_cm": 30, "width_cm": 20, "height_cm": 10}
    heavy = {**light, "weight_kg": 8}

    def ids(**changes: Any) -> list[str]:
        option = relay_option(ask(client, checkout, **changes))
        return [] if option is None else [p["id"] for p in option["points"]]

    for _ in range(2):  # what one quote to the place worked out never answers another one's
        assert ids(parcels=[light]) == ["LATE", "LIGHT", "BIG"]  # 300, 400 and 700 m
        assert ids(parcels=[heavy]) == ["LATE", "BIG"]
        assert ids(parcels=[light], promise={"deliver_by": "2026-03-06"}) == ["LIGHT", "BIG"]
        assert ids(parcels=[light], points=1) == ["LATE"]


def test_what_quotes_to_a_place_shared_is_dropped_when_a_new_directory_version_is_in_use(
    client, checkout, manager, cards, container
) -> None:
    cards(a_card())
    response = client.post("/api/v1/rate-cards?activate=true", json=a_card("zeta"), headers=manager)
    assert response.status_code == 201
    container.quote_book.refresh()
    upload_points(client, manager, "acme", [a_point("A1", north_of(SHOPPER, 0)), a_point("A2", north_of(SHOPPER, 500))])
    upload_points(client, manager, "zeta", [a_point("Z1", north_of(SHOPPER, 100))])  # the postcode: 200 m north

    def points() -> list[tuple[str, int]]:
        option = relay_option(ask(client, checkout))
        return [] if option is None else [(p["id"], p["distance_m"]) for p in option["points"]]

    assert points() == [("A1", 200), ("A2", 300)]
    assert points() == [("A1", 200), ("A2", 300)]  # answered from what the first quote worked out

    # Another carrier's new version moves the postcode's position (the mean of every carrier's points):
    upload_points(client, manager, "zeta", [a_point("Z2", north_of(SHOPPER, 2400))])  # now 967 m north
    assert points() == [("A2", 467), ("A1", 967)]

    # The carrier's own new version: other points, one closed past the promise.
    upload_points(
        client,
        manager,
        "acme",
        [
            a_point("B1", north_of(SHOPPER, 1000), closures="2026-03-01/2026-03-31"),
            a_point("B2", north_of(SHOPPER, 1400)),
        ],
    )
    assert points() == [("B2", 200)]  # the postcode: (1000 + 1400 + 2400) / 3 = 1600 m north
