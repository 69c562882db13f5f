"""What every non-QNP replica family shares: the article ground truth, its generation, text
rendering with the encoding traps, and a site base class that routes, caches and serves.

A family module (``tandan.py``, ``liferay.py``, ``nukeviet.py``, ``lacviet.py``) subclasses
``FamilySite`` and supplies its URL scheme and its markup. Ground truth (``FArticle`` and
``FamilySite.label``) is what the generator put on the page, in NFC, never what an extractor
reads back: the gold set and the end-to-end tests compare against it.

Traps present on every family site (FAMILIES.md): NFD, named/numeric entities and an entity
followed by a combining mark (``tr&ocirc;̀ng``) in bodies, ``&nbsp;`` indents, a wrong
template ``<title>`` on some pages, print twins linked from every article, listing links in
twin forms (letter case, legacy paths), an article with no author, an article with an empty
body, and a dead link (404) in the first listing page.
"""

from __future__ import annotations

import functools
import html
import itertools
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .. import text
from ..chunks import chunk
from ..site import HTML, Response

VN_TZ = timezone(timedelta(hours=7))
FIRST_DAY = datetime(2019, 1, 1, tzinfo=VN_TZ)
DAYS = (datetime(2025, 1, 1, tzinfo=VN_TZ) - FIRST_DAY).days
PAGE_SIZE = 5  # small pages: a 30-article replica still needs its pagination
ESC = html.escape
_STYLES = ("nfc", "nfd", "entities", "mixed")
_STYLE_WEIGHTS = (55, 20, 17, 8)
# Topic ids of tests/replica/text.TOPICS per category slot (3 categories per family site).
_TOPIC_OF_SLOT = (82, 83, 84)


@dataclass(frozen=True)
class Category:
    slug: str  # URL segment or id, family-specific
    label: str


@dataclass(frozen=True)
class FArticle:
    """One generated article: ground truth (NFC) plus how the page encodes it."""

    aid: int
    title: str
    published: datetime  # local time; ``has_time`` False: the page shows the date only
    has_time: bool
    byline: str | None  # as shown on the page
    author: str | None  # the name a reader takes from the byline (None: none or placeholder)
    category: Category
    style: str
    view_count: int | None
    blocks: tuple[tuple[str, str], ...]  # ("p"|"caption"|"img", value)
    summary: str
    wrong_title: bool = False  # the page's <title> names another page (gotcha 3)
    seed: int = field(default=0, repr=False)

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(v for kind, v in self.blocks if kind != "img")

    @property
    def body_text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def slug(self) -> str:
        return text.slugify(self.title)

    @property
    def published_iso(self) -> str:
        when = self.published if self.has_time else self.published.replace(hour=0, minute=0)
        return when.isoformat()

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.aid}:{purpose}")


def render(article: FArticle, value: str, rich: bool = False) -> str:
    """HTML for a text value: plain fields carry NFD over, rich (body) fields also entities."""
    if rich:
        return text.render_text(value, article.style, article.rng(f"enc:{value[:20]}"))
    return text.render_text(value, "nfd" if article.style == "nfd" else "nfc")


def body_html(article: FArticle, p_attrs: str = "") -> str:
    """Body paragraphs with ``&nbsp;`` indents (raw NBSP on NFD pages, as pasted text is)."""
    indent = "\u00a0" * 4 if article.style == "nfd" else "&nbsp;" * 4
    out = []
    for kind, value in article.blocks:
        if kind == "p":
            out.append(f"<p{p_attrs}>{indent}{render(article, value, True)}</p>\r\n")
        elif kind == "img":
            out.append(f'<p style="text-align: center;"><img alt="" src="{value}" /></p>\r\n')
        else:
            out.append(f"<p><em>{render(article, value, True)}</em></p>\r\n")
    return "".join(out)


@dataclass(frozen=True)
class Profile:
    """What a family's generator varies: ids, categories, bylines, dates, view counts."""

    key: str
    district: str
    communes: tuple[str, ...]
    categories: tuple[Category, ...]
    first_id: int
    bylines: tuple[tuple[str, str | None], ...]  # (as shown, name a reader takes)
    id_gaps: tuple[int, ...] = (1, 1, 2, 3)
    time_shown: float = 1.0  # share of articles whose page shows a time
    view_counts: float = 1.0  # share of articles whose page shows a view count


def generate(profile: Profile, count: int, seed: int) -> list[FArticle]:
    """``count`` articles, oldest first; ids rise with dates; every trap occurs at least once:
    each encoding style, a missing author (2nd article), an empty body (3rd article)."""
    rng = random.Random(f"family:{profile.key}:{seed}")
    minutes = sorted(rng.sample(range(DAYS * 1440), count))
    aid = profile.first_id
    out = []
    for i, minute in enumerate(minutes):
        aid += rng.choice(profile.id_gaps)
        day = FIRST_DAY + timedelta(minutes=minute)
        if not 390 <= day.hour * 60 + day.minute <= 1290:  # office hours, as real posts are
            day = day.replace(hour=7 + minute % 13, minute=minute % 60)
        slot = i % len(profile.categories) if i < len(profile.categories) else \
            rng.randrange(len(profile.categories))
        cat = profile.categories[slot]
        style = _STYLES[i % 4] if i < 4 else rng.choices(_STYLES, _STYLE_WEIGHTS)[0]
        ctx = {"huyen": profile.district, "communes": "|".join(profile.communes),
               "nam": str(day.year), "nam1": str(day.year + 1), "thang": str(day.month),
               "n": str(day.month + 2)}
        topic = random.Random(f"{seed}:{profile.key}:{aid}:topic")
        title_t, clause_t = topic.choice(text.TOPICS[_TOPIC_OF_SLOT[slot % 3]])
        ctx_t = dict(ctx, xa=topic.choice(profile.communes))
        title = text.fill(title_t, topic, ctx_t)
        summary = f"Ngày {day.day}/{day.month}, {text.fill(clause_t, topic, ctx_t)}."
        byline, author = rng.choice(profile.bylines)
        if i == 1 or (i > 4 and rng.random() < 0.1):
            byline = author = None
        body_rng = random.Random(f"{seed}:{profile.key}:{aid}:body")
        blocks = () if i == 2 else text.make_body(
            body_rng, ctx, need_trong=style == "mixed",
            image_base=f"/images/{day.year}/{day.month:02d}/{aid}")
        if i == 2:
            byline = author = None  # an empty-body article has no byline either
        has_time = rng.random() < profile.time_shown
        views = rng.randrange(20, 9000) if rng.random() < profile.view_counts else None
        out.append(FArticle(aid, title, day, has_time, byline, author, cat, style, views,
                            blocks, summary, wrong_title=i % 6 == 5, seed=seed))
    return out


def counters_for(key: str) -> tuple[int, int, int, int]:
    """(online, today, month, total) shown on a page, fixed per page so labels can say them."""
    h = zlib.crc32(key.encode())
    return 3 + h % 60, 100 + h % 900, 10_000 + h % 40_000, 1_000_000 + h % 8_000_000


def dotted(n: int, sep: str = ".") -> str:
    return f"{n:,}".replace(",", sep)


def filler(seed: str, size: int) -> str:
    """Inline script weight, as portal templates carry (statistics, menus, plugins)."""
    rng = random.Random(seed)
    words = ("menu", "slider", "banner", "portlet", "jQuery", "ready", "function", "var",
             "init", "config", "analytics", "toggle")
    parts, n = [], 0
    while n < size:
        line = f"var {rng.choice(words)}{n} = '{rng.choice(words)}-{rng.randrange(10**6)}';\r\n"
        parts.append(line)
        n += len(line)
    return "<script type=\"text/javascript\">\r\n" + "".join(parts) + "</script>\r\n"


class FamilySite:
    """A generated portal of one family. Subclasses set ``profile`` and implement
    ``route(path, params, target)`` plus the page builders; ``label`` gives a page's truth."""

    profile: Profile
    family = "base"
    chrome_kb = 12

    def __init__(self, articles: int = 30, seed: int = 1, gzip: bool = True,
                 cache_size: int = 1024) -> None:
        if articles < 6:
            raise ValueError("need at least 6 articles")
        self.seed, self.gzip = seed, gzip
        self.articles = generate(self.profile, articles, seed)
        self.by_id = {a.aid: a for a in self.articles}
        self.newest = self.articles[::-1]
        self.by_category: dict[str, list[FArticle]] = {c.slug: [] for c in
                                                       self.profile.categories}
        for a in self.newest:
            self.by_category[a.category.slug].append(a)
        self.missing_id = self.articles[-1].aid + 1000  # linked from a listing, answers 404
        self._hits = itertools.count(1)
        self._build = functools.lru_cache(maxsize=cache_size)(self._build_uncached)

    # -- what tests and the gold writer use ---------------------------------------------

    def next_hit(self) -> int:
        return next(self._hits)

    def resolve(self, target: str) -> Response:
        parts = urlsplit(target)
        params = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
        try:
            found = self.route(parts.path, params)
        except (KeyError, ValueError):
            found = None
        if found is None:
            return self._build(("404",))
        if isinstance(found, Response):
            return found
        return self._build(found)

    def urls(self) -> Iterator[str]:
        """Canonical paths of every page a crawl can reach (for ``--dump``)."""
        yield "/robots.txt"
        yield from self.listing_urls()
        for a in self.articles:
            yield self.article_url(a)

    def label(self, article: FArticle, page_key: str | None = None) -> dict[str, Any]:
        """The gold label of an article page: the generator's own values."""
        online, today, month, total = counters_for(page_key or self.article_url(article))
        return {
            "title": article.title,
            "published_at": article.published_iso,
            "date_precision": "minute" if article.has_time else "day",
            "author": article.author,
            "body_text": article.body_text,
            "view_count": article.view_count,
            "counters": self.counter_truth(online, today, month, total, article=True),
        }

    def pages_of(self, cat: str) -> int:
        return max(1, -(-len(self.by_category[cat]) // PAGE_SIZE))

    def page_items(self, cat: str, page: int) -> list[FArticle]:
        return self.by_category[cat][(page - 1) * PAGE_SIZE: page * PAGE_SIZE]

    # -- to implement ----------------------------------------------------------------------

    def route(self, path: str, params: dict[str, str]) -> tuple | Response | None:
        raise NotImplementedError

    def article_url(self, article: FArticle) -> str:
        raise NotImplementedError

    def listing_urls(self) -> Iterator[str]:
        raise NotImplementedError

    def render(self, key: tuple) -> str:
        raise NotImplementedError

    def counter_truth(self, online: int, today: int, month: int, total: int,
                      article: bool) -> dict[str, int]:
        raise NotImplementedError

    # -- plumbing ---------------------------------------------------------------------------

    def _build_uncached(self, key: tuple) -> Response:
        if key[0] == "404":
            return Response(404, HTML, (chunk(self.render(key)),))
        if key[0] == "robots":
            return Response(200, "text/plain", (chunk(self.render(key)),))
        return Response(200, HTML, (chunk(self.render(key)),))

    def redirect(self, status: int, location: str) -> Response:
        body = f'<html><body><a href="{ESC(location)}">here</a></body></html>'
        return Response(status, HTML, (chunk(body),), location=location)
