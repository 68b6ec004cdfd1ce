"""When the live quote book rebuilds: a card, fuel figure, policy or run change (or the day turning)
rebuilds at the next look; a recorded delivery only once `deliveries_every_s` seconds have passed
since the last build began. Driven by hand (no watcher thread): a clock, two signatures and a load
that counts its builds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import pytest

from tms.services.quoting import DeliveryLearning, LiveQuoteBook, QuoteBook


@dataclass
class Store:
    cards: int = 0  # what the inputs' signature reads
    newest_delivery: int | None = None  # what the deliveries' signature reads
    now: float = 1_000.0
    down: bool = False  # the store cannot be read
    built: list[tuple[int, int | None]] = field(default_factory=list)  # what each build read

    def load(self) -> QuoteBook:
        if self.down:
            raise OSError("the database went away")
        self.built.append((self.cards, self.newest_delivery))
        return cast(QuoteBook, object())  # the watcher never looks inside

    def book(self, every_s: float) -> LiveQuoteBook:
        live = LiveQuoteBook(
            load=self.load,
            signature=lambda: self.cards,
            deliveries=lambda: self.newest_delivery,
            deliveries_every_s=every_s,
            clock=lambda: self.now,
        )
        live.refresh()
        return live


def test_a_card_change_rebuilds_at_the_next_look_however_recent_the_last_build() -> None:
    store = Store()
    live = store.book(every_s=60)
    store.now += 1
    assert live.check() is False  # nothing changed
    store.cards += 1
    store.newest_delivery = 7
    assert live.check() is True
    assert store.built[-1] == (1, 7)  # the deliveries recorded meanwhile come along
    assert live.check() is False


def test_a_delivery_waits_for_the_interval_since_the_last_build_began() -> None:
    store = Store()
    live = store.book(every_s=60)
    store.newest_delivery = 1
    store.now += 59.9
    assert live.check() is False and len(store.built) == 1
    store.newest_delivery = 2
    store.now += 0.1  # 60 s after the first build began
    assert live.check() is True
    assert store.built[-1] == (0, 2)
    store.newest_delivery = 3
    store.now += 30
    assert live.check() is False  # 30 s after the second build
    store.now += 30
    assert live.check() is True
    assert store.built[-1] == (0, 3)


def test_no_delivery_no_rebuild_however_long_it_has_been() -> None:
    store = Store(newest_delivery=5)
    live = store.book(every_s=60)
    store.now += 3600
    assert live.check() is False and len(store.built) == 1


def test_a_card_change_starts_the_interval_again() -> None:
    store = Store()
    live = store.book(every_s=60)
    store.now += 50
    store.cards += 1
    assert live.check() is True  # built at 1,050
    store.newest_delivery = 1
    store.now += 20  # 70 s after the first build, 20 s after the second
    assert live.check() is False
    store.now += 40
    assert live.check() is True


def test_an_interval_of_0_rebuilds_for_every_delivery() -> None:
    store = Store()
    live = store.book(every_s=0)
    for n in range(1, 4):
        store.newest_delivery = n
        assert live.check() is True
    assert [b[1] for b in store.built] == [None, 1, 2, 3]
    assert live.check() is False


def test_a_failed_build_keeps_the_old_book_and_tries_again_at_the_next_look() -> None:
    store = Store()
    live = store.book(every_s=0)
    old = live.current()
    live.stop()  # no watcher thread: this test looks by hand
    store.newest_delivery = 1
    store.down = True
    with pytest.raises(OSError):
        live.check()
    assert live.current() is old
    store.down = False
    assert live.check() is True  # the delivery was not taken as seen
    assert store.built[-1] == (0, 1)


@pytest.mark.parametrize("refresh_s", [-1.0, float("nan")])
def test_a_negative_refresh_interval_is_refused(refresh_s: float) -> None:
    with pytest.raises(ValueError, match="learning.refresh_s"):
        DeliveryLearning(refresh_s=refresh_s)
