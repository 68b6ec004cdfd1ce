"""What a use case needs from the store: repositories and one transaction."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol


class UnitOfWork(Protocol):
    """Used as `with uow: ...; uow.commit()`; leaving the block without commit rolls back."""

    carriers: Any
    rate_cards: Any
    fuel: Any
    api_keys: Any
    policies: Any
    orders: Any
    runs: Any

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def quote_inputs_signature(self) -> tuple[object, ...]: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
