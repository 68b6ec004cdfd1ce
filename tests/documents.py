"""Rate-card documents (the JSON upload format) for the quote, API and planning tests."""

from __future__ import annotations

from typing import Any


def a_service_document(code: str, mode: str, **changes: Any) -> dict[str, Any]:
    """A service collected Mon-Fri before 17:00, delivered Mon-Sat in 1-2 days to zone FR, up to 30 kg."""
    return {
        "code": code,
        "name": code.title(),
        "mode": mode,
        "speed": "standard",
        "pickup_cutoff": "17:00",
        "pickup_days": "Mon-Fri",
        "delivery_days": "Mon-Sat",
        "max_weight_kg": 30,
        "max_length_cm": None,
        "max_length_girth_cm": None,
        "max_dimensions_sum_cm": None,
        "volumetric_divisor": None,
        "transit": {"FR": [1, 2]},
        **changes,
    }
