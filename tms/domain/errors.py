"""The domain's error hierarchy. One API handler maps these to HTTP responses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

QUOTED_MAX = 60  # characters of an input value an error message quotes
TEXT_MAX = 500  # characters of any text of an error (a message, a field path)


def quoted(value: object, limit: int = QUOTED_MAX) -> str:
    """`value` as an error message quotes it, its repr cut to `limit` characters: an error never
    echoes a huge input back."""
    text = repr(value[: limit + 1] if isinstance(value, str) else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shortened(text: str, limit: int = TEXT_MAX) -> str:
    """`text` cut in its middle to at most `limit` characters, keeping how it begins and ends."""
    if len(text) <= limit:
        return text
    keep = (limit - 5) // 2
    return f"{text[:keep]} ... {text[-keep:]}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and exactly where it is.

    `field` is a dotted path into a JSON document or form (``services[0].mode``);
    `sheet`/`row`/`column` locate a cell in a workbook sheet or a CSV file.
    """

    message: str
    field: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def where(self) -> str:
        parts = []
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts) or "input"

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"


class DomainError(Exception):
    """Base of every error the business rules raise on purpose."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """The input breaks a rule; nothing was changed. Carries every problem found."""

    code = "invalid_input"

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The request is valid but clashes with the current state (e.g. retiring twice)."""

    code = "conflict"


class DuplicateKey(Exception):
    """The store refused a row whose unique key exists already (a concurrent writer won)."""


class DuplicateRun(Conflict):
    """A succeeded run already planned this shipping date, warehouse and run time (another scheduler won)."""
