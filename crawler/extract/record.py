"""The extraction result: plain dataclasses that round-trip through JSON-able dicts."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

PAGE_TYPES = ("article", "listing", "home", "other")


@dataclass(frozen=True)
class VisitCounter:
    """One site-wide visit counter read from the page's counter widget (a fetch-time snapshot).

    ``metric`` is normalized (``visits_today``, ``visits_yesterday``, ``visits_week``,
    ``visits_month``, ``visits_total``, ``online_now``); ``label_raw``/``value_raw`` keep the
    text as shown (``Đã truy cập``, ``4.798.819``).
    """

    metric: str
    value: int
    label_raw: str
    value_raw: str

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "value": self.value,
                "label_raw": self.label_raw, "value_raw": self.value_raw}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VisitCounter:
        return cls(metric=data["metric"], value=int(data["value"]),
                   label_raw=data.get("label_raw", ""), value_raw=data.get("value_raw", ""))


@dataclass
class ArticleRecord:
    """What one fetched page yields. Empty fields are None and have a reason in ``failures``;
    ``sources`` names the cascade step that produced each filled field."""

    url: str
    family: str
    page_type: str = "other"
    article_id: str | None = None
    title: str | None = None
    published_at: str | None = None
    published_raw: str | None = None
    date_precision: str | None = None
    author: str | None = None
    author_raw: str | None = None
    summary: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    category: str | None = None
    view_count: int | None = None
    view_count_raw: str | None = None
    counters: list[VisitCounter] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    # The page's raw a/@href values and <base href>, for the crawler's link discovery: not
    # part of the record (to_dict leaves them out), only a by-product of the one parse.
    links: list[str] = field(default_factory=list, repr=False, compare=False,
                             metadata={"transient": True})
    base_href: str | None = field(default=None, repr=False, compare=False,
                                  metadata={"transient": True})
    # The page's requisite references (page.requisite_references), likewise transient.
    references: list[tuple[str, str, str]] = field(default_factory=list, repr=False,
                                                   compare=False,
                                                   metadata={"transient": True})

    @property
    def is_article(self) -> bool:
        """An article page whose title and body were both found."""
        return self.page_type == "article" and bool(self.title) and bool(self.body_text)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable data (counters as dicts)."""
        data: dict[str, Any] = {}
        for f in fields(self):
            if f.metadata.get("transient"):
                continue
            value = getattr(self, f.name)
            if f.name == "counters":
                value = [c.to_dict() for c in value]
            elif isinstance(value, dict):
                value = dict(value)
            data[f.name] = value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleRecord:
        """Inverse of ``to_dict``; unknown keys are ignored (forward compatibility)."""
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["counters"] = [
            c if isinstance(c, VisitCounter) else VisitCounter.from_dict(c)
            for c in data.get("counters") or []
        ]
        kwargs["sources"] = dict(data.get("sources") or {})
        kwargs["failures"] = dict(data.get("failures") or {})
        return cls(**kwargs)
