"""What one cascade step (family profile, generic fallback, metadata) hands to the pipeline.

A step fills only what it found; for everything it looked for and could not find it may say
why in ``failures`` (the pipeline reports those reasons when no later step fills the field).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .dates import DateResult
from .lines import Line

FIELDS = ("title", "date", "author", "summary", "body", "category", "view_count")


@dataclass
class Author:
    """A byline: ``raw`` as shown, ``name`` once role words are stripped (None if the byline is
    a placeholder such as ``admin admin``; ``reason`` says why)."""

    raw: str
    name: str | None
    reason: str | None = None


@dataclass
class Body:
    """The article body as the lines kept, plus where they sit in the tree.

    ``excluded`` are lines inside ``container`` that are not body (byline, sapo, widgets):
    ``body_html`` removes their elements before sanitizing ``container``'s content.
    """

    container: Any
    lines: list[Line]
    excluded: list[Line] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[str]:
        return [line.text for line in self.lines]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class StepResult:
    """Values found by one step, keyed by the names in ``FIELDS``."""

    source: str
    title: str | None = None
    date: DateResult | None = None
    author: Author | None = None
    summary: str | None = None
    body: Body | None = None
    category: str | None = None
    view_count: tuple[str, int] | None = None  # (raw text, value)
    failures: dict[str, str] = field(default_factory=dict)
    # Fields a profile saw to be absent on this page (e.g. an empty sapo element): the
    # generic fallback is not asked to guess them; metadata may still fill them.
    absent: set[str] = field(default_factory=set)
    # Fields a profile knows this family never shows (or shows only through a trap, such as
    # NukeViet's schema.org author that names the site when no author was entered): no later
    # step, metadata included, may fill them; ``failures`` says why they are empty.
    final: set[str] = field(default_factory=set)

    def get(self, name: str) -> Any:
        return getattr(self, name)
