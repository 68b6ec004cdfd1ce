"""Fixtures of the API tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture()
def cards(client, manager, container):
    """Upload and activate cards, then make the quote book see them."""

    def load(*documents: dict[str, Any]) -> None:
        for document in documents:
            response = client.post("/api/v1/rate-cards?activate=true", json=document, headers=manager)
            assert response.status_code == 201, response.get_json()
        container.quote_book.refresh()

    return load
