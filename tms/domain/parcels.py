"""A parcel as shipped: weight and outer dimensions, exact integers (grams, millimetres)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Parcel:
    """A parcel as shipped. Its derived sizes are computed once, since a quote prices it ~40 times:
    they are plain fields (not properties), read as fast as the dimensions themselves."""

    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    longest_mm: int = field(init=False, repr=False, compare=False)
    length_girth_mm: int = field(init=False, repr=False, compare=False)  # longest side + 2 x each of the others
    dimensions_sum_mm: int = field(init=False, repr=False, compare=False)  # L + W + H
    volume_mm3: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sides = (self.length_mm, self.width_mm, self.height_mm)
        if self.weight_g < 0 or min(sides) < 0:
            raise ValueError(f"a parcel's weight and dimensions cannot be negative: {self}")
        longest, total = max(sides), sum(sides)
        object.__setattr__(self, "longest_mm", longest)
        object.__setattr__(self, "length_girth_mm", 2 * total - longest)
        object.__setattr__(self, "dimensions_sum_mm", total)
        object.__setattr__(self, "volume_mm3", self.length_mm * self.width_mm * self.height_mm)
