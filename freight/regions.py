"""Regions as freight sees them: GB/T 2260 codes and where they sit in the tree, nothing more.

Freight sits below the app that keeps the region tree (producers), so it never reads that
table: the caller hands it an `Area` for each region a template names, and a `RegionBook` to
walk the tree when a save must know what a set of regions covers. A destination is the
`lineage` of the shipping region ("/330000/330100/330106/"): the codes of the region and of
every region above it, which is all a fee lookup needs.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Area:
    """A region of the tree: its id (what the API speaks), its GB/T 2260 code (what a fee
    lookup matches), its path for people, and its lineage."""

    id: int
    code: str
    path: str
    lineage: str

    def within(self, other: "Area") -> bool:
        """This region is `other` or lies under it."""
        return f"/{other.code}/" in self.lineage


class RegionBook(Protocol):
    """The region tree, as the app that keeps it answers."""

    def find(self, ids: Iterable[int]) -> dict[int, Area]:
        """The regions of these ids that exist."""

    def below(self, area: Area | None) -> list[Area]:
        """The regions one level below `area` (None: the provinces)."""


def codes_of(lineage: str) -> tuple[str, ...]:
    """A lineage's codes, the province first and the region itself last."""
    return tuple(code for code in lineage.split("/") if code)


def uncovered(named: Iterable[Area], book: RegionBook, *, most: int = 5) -> list[Area]:
    """Up to `most` regions that neither `named` nor anything under them wholly covers,
    highest first: empty when every region of the country is covered. A region is covered when
    it is named, or lies under a named region, or has regions below it and each is covered.
    The tree is walked only into branches that hold a named region, so a check costs a query
    per such branch."""
    named = list(named)
    found: list[Area] = []

    def walk(parent: Area | None) -> bool:
        covered = True
        for area in book.below(parent):
            if len(found) >= most:
                return False
            if any(area.within(n) for n in named):
                continue
            holds_named = any(n.within(area) for n in named)
            if holds_named and walk(area):
                continue
            covered = False
            if not holds_named:
                found.append(area)
        return covered

    walk(None)
    return found
