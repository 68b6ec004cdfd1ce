"""A parcel as shipped: weight and outer dimensions, exact integers (grams, millimetres)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Parcel:
    """A parcel as shipped. Its derived sizes are computed once, since a quote prices it ~40 times."""

    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    _longest_mm: int = field(init=False, repr=False, compare=False)
    _dimensions_sum_mm: int = field(init=False, repr=False, compare=False)
    _volume_mm3: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sides = (self.length_mm, self.width_mm, self.height_mm)
        if self.weight_g < 0 or min(sides) < 0:
            raise ValueError(f"a parcel's weight and dimensions cannot be negative: {self}")
        object.__setattr__(self, "_longest_mm", max(sides))
        object.__setattr__(self, "_dimensions_sum_mm", sum(sides))
        object.__setattr__(self, "_volume_mm3", self.length_mm * self.width_mm * self.height_mm)

    @property
    def longest_mm(self) -> int:
        return self._longest_mm

    @property
    def length_girth_mm(self) -> int:
        """Longest side + 2 x each of the other two."""
        return 2 * self._dimensions_sum_mm - self._longest_mm

    @property
    def dimensions_sum_mm(self) -> int:
        return self._dimensions_sum_mm

    @property
    def volume_mm3(self) -> int:
        return self._volume_mm3
