"""API keys and the shipping policy on the in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.fakes import FakeStore
from tms.domain.access import Role, hash_secret
from tms.domain.errors import Conflict, InvalidInput, NotFound
from tms.domain.policy import Promotion, ShippingPolicy
from tms.services.access import authenticate, create_api_key, list_api_keys, revoke_api_key
from tms.services.policy import DEFAULT_POLICY, current_policy, policy_document, policy_from_document, set_policy

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def store() -> FakeStore:
    return FakeStore()


def test_a_new_key_is_stored_by_hash_and_its_secret_authenticates(store: FakeStore) -> None:
    key, secret = create_api_key(store.uow(), name="  shop checkout ", role="checkout", now=NOW)
    assert key.name == "shop checkout" and key.role is Role.CHECKOUT
    assert key.key_hash == hash_secret(secret) and secret not in repr(key) and secret.startswith(key.display_prefix)
    assert authenticate(store.uow(), secret) == key
    assert authenticate(store.uow(), secret + "x") is None


@pytest.mark.parametrize(("name", "role", "field"), [("ops", "root", "role"), ("   ", "admin", "name")])
def test_a_key_with_an_unknown_role_or_no_name_is_refused_and_nothing_is_stored(
    store: FakeStore, name: str, role: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        create_api_key(store.uow(), name=name, role=role, now=NOW)
    assert [p.field for p in refused.value.problems] == [field]
    assert list_api_keys(store.uow()) == []


def test_a_revoked_key_no_longer_authenticates_and_is_revoked_once(store: FakeStore) -> None:
    key, secret = create_api_key(store.uow(), name="ops", role="admin", now=NOW)
    later = NOW + timedelta(hours=1)
    assert revoke_api_key(store.uow(), key.id, later).revoked_at == later
    assert authenticate(store.uow(), secret) is None
    with pytest.raises(Conflict, match="already revoked"):
        revoke_api_key(store.uow(), key.id, later)
    with pytest.raises(NotFound):
        revoke_api_key(store.uow(), 999, later)


def test_keys_are_listed_in_the_order_they_were_created(store: FakeStore) -> None:
    for name in ("b", "a", "c"):
        create_api_key(store.uow(), name=name, role="manager", now=NOW)
    assert [k.name for k in list_api_keys(store.uow())] == ["b", "a", "c"]


def test_without_a_policy_set_the_default_applies(store: FakeStore) -> None:
    assert current_policy(store.uow()) == ShippingPolicy()
    assert policy_document(ShippingPolicy()) == DEFAULT_POLICY


def test_a_policy_replaces_the_whole_one_before_it(store: FakeStore) -> None:
    set_policy(store.uow(), ShippingPolicy(free_above_cents=4900), now=NOW, by="manager")
    stored = set_policy(store.uow(), ShippingPolicy(flat_price_cents=490), now=NOW, by="manager")
    assert current_policy(store.uow()) == stored == ShippingPolicy(flat_price_cents=490)
    with store.uow() as uow:
        assert uow.policies.current() == {**DEFAULT_POLICY, "flat_price": 4.9}


def test_every_policy_is_stored_as_a_document_that_reads_back_to_it(store: FakeStore) -> None:
    policy = ShippingPolicy(
        free_always=True,
        free_above_cents=4999,
        free_tiers=frozenset({"gold", "silver"}),
        promotion=Promotion(date(2026, 3, 1), date(2026, 3, 31)),
        free_categories=frozenset({"books"}),
        flat_price_cents=1,
        markup_bp=12345,
        margin_rate_bp=1,
    )
    set_policy(store.uow(), policy, now=NOW, by="manager")
    with store.uow() as uow:
        document = uow.policies.current()
    assert document is not None and document["promotion"] == {"starts_on": "2026-03-01", "ends_on": "2026-03-31"}
    assert policy_from_document(document) == current_policy(store.uow()) == policy


def test_a_document_stored_before_every_field_was_written_reads_with_the_defaults(store: FakeStore) -> None:
    with store.uow() as uow:
        promotion = {"starts_on": "2026-03-01", "ends_on": "2026-03-31"}
        uow.policies.set({"free_above": 49, "promotion": promotion}, NOW, "manager")
        uow.commit()
    policy = current_policy(store.uow())
    assert policy.free_above_cents == 4900 and policy.promotion == Promotion(date(2026, 3, 1), date(2026, 3, 31))
    assert policy.margin_rate_bp == 3000
