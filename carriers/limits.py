"""How large an uploaded rate card may be, and the refusal when it is larger.

Every count that makes reading or checking a card cost more (rows, columns and
cells of the tables; services, zones, zone entries, remote-area postcodes,
price brackets, surcharges, tiers) has a limit, checked while the upload is
read: the first limit passed stops the reading at once and is the only
problem reported, naming where it was passed and the limit. The defaults are
those of `[uploads]` in config/default.toml, generous for real carrier grids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from carriers.tables import Location
from tms.domain.errors import InvalidInput, Problem

MAX_PROBLEMS = 100  # problems listed in a refusal, then one "... and N more"


@dataclass(frozen=True)
class UploadLimits:
    rows: int = 10_000  # rows of one sheet or CSV file
    columns: int = 256  # columns of one sheet or CSV file
    cells: int = 100_000  # cells of the whole upload (each row counts up to its last value)
    services: int = 40
    zones: int = 100
    zone_entries: int = 3_000  # (country, postcodes) entries of all zones together
    remote_area_postcodes: int = 3_000  # areas of all remote-area surcharges together
    brackets: int = 6_000  # weight brackets of all price grids together
    surcharges: int = 100
    tiers: int = 50
    problems: int = MAX_PROBLEMS


# The setting that sets each limit (`[uploads]` in config/default.toml), to quote it in a refusal.
SETTING = {name: f"uploads.max_{name}" for name in UploadLimits.__dataclass_fields__}


def limited_problems(problems: Iterable[Problem], limit: int = MAX_PROBLEMS) -> list[Problem]:
    """The first `limit` distinct problems, then one saying how many more there were."""
    unique = list(dict.fromkeys(problems))
    if len(unique) <= limit:
        return unique
    more = len(unique) - limit
    return [*unique[:limit], Problem(f"... and {more:,} more problem{'' if more == 1 else 's'}")]


class RateCardRejected(InvalidInput):
    """The upload is not a valid rate card; `problems` lists what is wrong with it (at most
    `max_problems`, then how many more), so a refusal stays small whatever the upload."""

    code = "rate_card_rejected"

    def __init__(self, problems: Iterable[Problem], *, max_problems: int = MAX_PROBLEMS) -> None:
        unique = list(dict.fromkeys(problems))
        count = len(unique)
        super().__init__(
            f"the rate card was refused: {count:,} problem{'' if count == 1 else 's'}",
            limited_problems(unique, max_problems),
        )


class UploadTooLarge(RateCardRejected):
    """A limit of `UploadLimits` was passed: reading stopped there."""

    def __init__(self, problem: Problem) -> None:
        super().__init__([problem])


def too_many(what: str, limit_name: str, limits: UploadLimits, where: Location) -> UploadTooLarge:
    """The refusal for more `what` than `limits` allows, passed at `where`."""
    limit = getattr(limits, limit_name)
    return UploadTooLarge(where.problem(f"more than {limit:,} {what}: the limit is {limit:,} ({SETTING[limit_name]})"))


# For cards already stored: they were checked when uploaded, and reading one back must not depend
# on the limits of the day.
NO_LIMITS = UploadLimits(**{name: 10**18 for name in UploadLimits.__dataclass_fields__ if name != "problems"})
