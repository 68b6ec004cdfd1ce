"""API keys and the shipping policy on the in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes import FakeStore
from tms.domain.access import Role, hash_secret
from tms.domain.errors import Conflict, InvalidInput, NotFound
from tms.services.access import authenticate, create_api_key, list_api_keys, revoke_api_key
from tms.services.policy import DEFAULT_POLICY, current_policy_document, set_policy

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
    assert current_policy_document(store.uow()) == DEFAULT_POLICY


def test_a_policy_is_completed_with_the_defaults_and_the_newest_one_applies(store: FakeStore) -> None:
    set_policy(store.uow(), {"free_above": 49}, now=NOW, by="manager")
    stored = set_policy(store.uow(), {"flat_price": 4.9}, now=NOW, by="manager")
    assert stored == {**DEFAULT_POLICY, "flat_price": 4.9}
    assert current_policy_document(store.uow()) == stored


def test_a_policy_that_cannot_be_read_is_refused_and_the_old_one_stays(store: FakeStore) -> None:
    set_policy(store.uow(), {"free_above": 49}, now=NOW, by="manager")
    with pytest.raises(KeyError):
        set_policy(store.uow(), {"promotion": {"starts_on": "2026-03-01"}}, now=NOW, by="manager")
    assert current_policy_document(store.uow())["free_above"] == 49
