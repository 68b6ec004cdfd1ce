"""Manager page sessions on the in-memory unit of work: who may open one, how long it lives, and
that signing out or revoking the key ends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes import FakeStore
from tms.domain.access import hash_secret
from tms.domain.sessions import SessionLifetime
from tms.services.access import create_api_key, revoke_api_key
from tms.services.manager_sessions import end_session, resume_session, start_session

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIFETIME = SessionLifetime(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


@pytest.fixture()
def store() -> FakeStore:
    return FakeStore()


def a_key(store: FakeStore, role: str = "manager", name: str = "ops") -> str:
    _, secret = create_api_key(store.uow(), name=name, role=role, now=NOW)
    return secret


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_a_manager_or_admin_key_opens_a_session_stored_by_the_hash_of_its_token(store: FakeStore, role: str) -> None:
    secret = a_key(store, role)
    signed = start_session(store.uow(), secret, now=NOW, lifetime=LIFETIME)
    assert signed is not None and signed.key.role.value == role
    assert signed.token != secret and len(signed.token) >= 40
    assert signed.session.token_hash == hash_secret(signed.token)
    assert (signed.session.created_at, signed.session.expires_at) == (NOW, NOW + timedelta(hours=12))
    resumed = resume_session(store.uow(), signed.token, now=NOW + timedelta(minutes=1), lifetime=LIFETIME)
    assert resumed is not None and resumed.key == signed.key and resumed.session.id == signed.session.id


def test_a_checkout_unknown_or_revoked_key_opens_nothing(store: FakeStore) -> None:
    checkout = a_key(store, "checkout")
    revoked_secret = a_key(store, name="gone")
    revoke_api_key(store.uow(), 2, NOW)
    for secret in (checkout, revoked_secret, "tms_unknown", ""):
        assert start_session(store.uow(), secret, now=NOW, lifetime=LIFETIME) is None
    assert store.tables["sessions"] == {}


def test_each_request_keeps_a_session_alive_until_idle_or_its_absolute_end(store: FakeStore) -> None:
    signed = start_session(store.uow(), a_key(store), now=NOW, lifetime=LIFETIME)
    assert signed is not None
    moment = NOW
    while moment + timedelta(minutes=29) < NOW + timedelta(hours=12):
        moment += timedelta(minutes=29)
        assert resume_session(store.uow(), signed.token, now=moment, lifetime=LIFETIME) is not None
    assert resume_session(store.uow(), signed.token, now=NOW + timedelta(hours=12), lifetime=LIFETIME) is None

    idle = start_session(store.uow(), a_key(store, name="idle"), now=NOW, lifetime=LIFETIME)
    assert idle is not None
    assert resume_session(store.uow(), idle.token, now=NOW + timedelta(minutes=29), lifetime=LIFETIME) is not None
    lapsed = NOW + timedelta(minutes=29 + 30)
    assert resume_session(store.uow(), idle.token, now=lapsed, lifetime=LIFETIME) is None


def test_signing_out_ends_the_session_and_no_other(store: FakeStore) -> None:
    secret = a_key(store)
    first = start_session(store.uow(), secret, now=NOW, lifetime=LIFETIME)
    second = start_session(store.uow(), secret, now=NOW, lifetime=LIFETIME)
    assert first is not None and second is not None and first.token != second.token

    end_session(store.uow(), first.token, now=NOW)
    end_session(store.uow(), "not-a-token", now=NOW)  # harmless
    end_session(store.uow(), "", now=NOW)

    later = NOW + timedelta(minutes=1)
    assert resume_session(store.uow(), first.token, now=later, lifetime=LIFETIME) is None
    assert resume_session(store.uow(), second.token, now=later, lifetime=LIFETIME) is not None
    assert resume_session(store.uow(), "", now=later, lifetime=LIFETIME) is None


def test_revoking_a_key_ends_its_sessions_at_once_and_only_its_own(store: FakeStore) -> None:
    ops, other = a_key(store, name="ops"), a_key(store, name="other")
    mine = start_session(store.uow(), ops, now=NOW, lifetime=LIFETIME)
    theirs = start_session(store.uow(), other, now=NOW, lifetime=LIFETIME)
    assert mine is not None and theirs is not None

    revoke_api_key(store.uow(), mine.key.id, NOW + timedelta(minutes=1))

    stored = store.tables["sessions"][mine.session.id]
    assert stored.revoked_at == NOW + timedelta(minutes=1)
    later = NOW + timedelta(minutes=2)
    assert resume_session(store.uow(), mine.token, now=later, lifetime=LIFETIME) is None
    assert resume_session(store.uow(), theirs.token, now=later, lifetime=LIFETIME) is not None


def test_a_session_whose_key_was_revoked_behind_its_back_is_refused(store: FakeStore) -> None:
    signed = start_session(store.uow(), a_key(store), now=NOW, lifetime=LIFETIME)
    assert signed is not None
    with store.uow() as uow:  # the key alone, as an older release or a hand-made change would
        uow.api_keys.revoke(signed.key.id, NOW)
        uow.commit()
    assert resume_session(store.uow(), signed.token, now=NOW, lifetime=LIFETIME) is None


def test_sessions_past_their_absolute_end_are_forgotten_at_the_next_sign_in(store: FakeStore) -> None:
    secret = a_key(store)
    old = start_session(store.uow(), secret, now=NOW, lifetime=LIFETIME)
    assert old is not None
    start_session(store.uow(), secret, now=NOW + timedelta(hours=11), lifetime=LIFETIME)
    assert old.session.id in store.tables["sessions"]
    start_session(store.uow(), secret, now=NOW + timedelta(hours=12), lifetime=LIFETIME)
    assert old.session.id not in store.tables["sessions"] and len(store.tables["sessions"]) == 2
