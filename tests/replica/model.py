"""The replica's ground truth: portals, categories, articles, the founding article, special nids.

Article metadata (nid, title, date, author, category, encoding style) is drawn eagerly from one
seeded rng; the body and summary are drawn lazily from a per-article rng, so a site of 100,000
articles starts fast and any article renders the same bytes whatever was rendered before it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from . import text

VN_TZ = timezone(timedelta(hours=7))
FOUNDING_NID = 35530
NO_TITLE_NID = 99001  # category 86: no title, no date line; extraction must fail
MOVED_NID = 99301  # 301 to a real article
MISSING_NID = 99404  # linked from a listing, answers 404
RESERVED_NIDS = frozenset({FOUNDING_NID, NO_TITLE_NID, MOVED_NID, MISSING_NID})
HOSTILE_NID = 99666  # opt-in (--hostile): body with <script>, onerror=, javascript:
FIRST_DAY = datetime(2019, 1, 1, tzinfo=VN_TZ)
DAYS = (datetime(2025, 1, 1, tzinfo=VN_TZ) - FIRST_DAY).days  # 2019-2024 inclusive


@dataclass(frozen=True)
class Portal:
    key: str
    host: str
    name: str  # "Bình Liêu"
    communes: tuple[str, ...]
    address: str

    @property
    def site_name(self) -> str:
        return f"Cổng thông tin điện tử huyện {self.name}"


PORTALS: dict[str, Portal] = {
    p.key: p for p in (
        Portal("binhlieu", "binhlieu.quangninh.gov.vn", "Bình Liêu",
               ("xã Hoành Mô", "xã Đồng Văn", "xã Đồng Tâm", "xã Lục Hồn", "xã Tình Húc",
                "xã Vô Ngại", "xã Húc Động", "thị trấn Bình Liêu"),
               "Khu Bình Công II, thị trấn Bình Liêu, huyện Bình Liêu, tỉnh Quảng Ninh"),
        Portal("tienyen", "tienyen.quangninh.gov.vn", "Tiên Yên",
               ("xã Đông Ngũ", "xã Hải Lạng", "xã Đông Hải", "xã Phong Dụ", "xã Hà Lâu",
                "xã Yên Than", "xã Điền Xá", "thị trấn Tiên Yên"),
               "Phố Lý Thường Kiệt, thị trấn Tiên Yên, huyện Tiên Yên, tỉnh Quảng Ninh"),
        Portal("bache", "bache.quangninh.gov.vn", "Ba Chẽ",
               ("xã Thanh Sơn", "xã Thanh Lâm", "xã Đạp Thanh", "xã Nam Sơn", "xã Đồn Đạc",
                "xã Lương Mông", "xã Minh Cầm", "thị trấn Ba Chẽ"),
               "Khu 3, thị trấn Ba Chẽ, huyện Ba Chẽ, tỉnh Quảng Ninh"),
    )
}

CATEGORIES: dict[int, str] = {
    82: "Tin trong huyện", 83: "Kinh tế", 84: "Văn hóa - Xã hội",
    85: "Quốc phòng - An ninh", 86: "Thông báo", 87: "Chỉ đạo điều hành",
}
_CAT_WEIGHTS = (30, 18, 18, 10, 10, 14)
# Encoding styles of generated articles (FAMILIES.md "Text and encoding"): ~1 in 5 NFD.
_STYLES = ("nfc", "nfd", "entities", "mixed")
_STYLE_WEIGHTS = (60, 20, 15, 5)

FOUNDING_SUMMARY = ("Ngày 27/1, Ban Thường vụ Huyện ủy Bình Liêu đã họp để cho ý kiến vào một số "
                    "nội dung quan trọng.")
FOUNDING_PARAGRAPHS = (
    "Chiều ngày 27/1, đồng chí Dương Mạnh Cường, Bí thư Huyện ủy, Chủ tịch HĐND huyện chủ trì "
    "cuộc họp Ban Thường vụ Huyện ủy Bình Liêu để cho ý kiến vào một số nội dung quan trọng.",
    "Tại cuộc họp, Ban Thường vụ Huyện ủy đã nghe và cho ý kiến vào dự thảo Đề án phát triển "
    "vùng nguyên liệu dong riềng gắn với chế biến miến dong Bình Liêu giai đoạn 2022-2025; báo "
    "cáo công tác chuẩn bị đón Tết Nguyên đán Nhâm Dần 2022 và công tác phòng, chống dịch "
    "COVID-19 trên địa bàn huyện.",
    "Phát biểu kết luận, đồng chí Dương Mạnh Cường, Bí thư Huyện ủy yêu cầu các cơ quan, đơn "
    "vị hoàn thiện Đề án, hỗ trợ bà con mở rộng diện tích trồng dong riềng, xây dựng thương "
    "hiệu miến dong Bình Liêu gắn với sản phẩm OCOP.",
    "Đồng chí cũng đề nghị các xã, thị trấn chăm lo Tết cho Nhân dân, nhất là hộ nghèo, gia "
    "đình chính sách, bảo đảm để mọi người, mọi nhà đều được đón Tết vui tươi, an toàn, tiết "
    "kiệm.",
)


@dataclass(frozen=True, slots=True)
class Article:
    """One article's ground truth. Text fields are NFC; the page may encode them otherwise."""

    nid: int
    title: str
    published: str  # "dd/mm/yyyy hh:mm", local time (+07:00)
    author: str | None
    category: int
    style: str  # "nfc" | "nfd" | "entities" | "mixed" (how the page encodes the text)
    portal: Portal = field(repr=False)
    seed: int = field(repr=False)
    fixed: tuple[str, tuple[tuple[str, str], ...]] | None = field(default=None, repr=False)

    @property
    def published_at(self) -> datetime:
        p = self.published  # sliced by hand: strptime was a tenth of the render time
        return datetime(int(p[6:10]), int(p[3:5]), int(p[:2]), int(p[11:13]), int(p[14:16]),
                        tzinfo=VN_TZ)

    @property
    def date(self) -> str:
        return self.published[:10]

    @property
    def slug(self) -> str:
        return text.slugify(self.title)

    @property
    def url(self) -> str:
        return f"/Trang/ChiTietTinTuc.aspx?nid={self.nid}"

    def rng(self, purpose: str) -> random.Random:
        # A string seed is hashed with SHA-512: stable across runs, unlike hash().
        return random.Random(f"{self.seed}:{self.portal.key}:{self.nid}:{purpose}")

    @property
    def summary(self) -> str:
        if self.fixed:
            return self.fixed[0]
        day = self.published_at
        rng = self.rng("lead")
        lead = f"{rng.choice(('Ngày', 'Sáng', 'Chiều'))} {day.day}/{day.month}"
        return f"{lead}, {draw_topic(self.seed, self.portal, self.nid, self.category, day)[1]}."

    @property
    def blocks(self) -> tuple[tuple[str, str], ...]:
        """Body in order: ("p", text), ("img", src), ("caption", text); no author line."""
        if self.fixed:
            return self.fixed[1]
        day = self.published_at
        base = f"/PublishingImages/TinTuc/{day.year}/{day.month:02d}/{self.nid}"
        return text.make_body(self.rng("body"), _context(self.portal, day),
                              need_trong=self.style == "mixed", image_base=base)

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """Text of each body `<p>` (captions included), as extraction should find it."""
        return tuple(value for kind, value in self.blocks if kind != "img")

    @property
    def images(self) -> tuple[str, ...]:
        return tuple(value for kind, value in self.blocks if kind == "img")

    @property
    def thumbnail(self) -> str:
        day = self.published_at
        return f"/PublishingImages/TinTuc/{day.year}/{day.month:02d}/{self.nid}_thumb.jpg"

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def _context(portal: Portal, day: datetime) -> dict[str, str]:
    return {"huyen": portal.name, "communes": "|".join(portal.communes), "nam": str(day.year),
            "nam1": str(day.year + 1), "thang": str(day.month), "n": str(day.month + 2)}


def draw_topic(seed: int, portal: Portal, nid: int, cat: int, day: datetime) -> tuple[str, str]:
    """(title, summary clause) of a generated article; one commune serves both."""
    rng = random.Random(f"{seed}:{portal.key}:{nid}:topic")
    title, clause = rng.choice(text.TOPICS[cat])
    ctx = _context(portal, day)
    ctx["xa"] = rng.choice(portal.communes)
    return text.fill(title, rng, ctx), text.fill(clause, rng, ctx)


def founding_article(portal: Portal) -> Article:
    return Article(FOUNDING_NID, "Họp Ban thường vụ HU", "27/01/2022 10:16", "Thu Hằng", 82,
                   "nfc", portal, 0,
                   fixed=(FOUNDING_SUMMARY, tuple(("p", p) for p in FOUNDING_PARAGRAPHS)))


def generate_articles(count: int, seed: int, portal: Portal) -> list[Article]:
    """`count` generated articles plus the founding one, oldest first (nids rise with dates)."""
    rng = random.Random(f"replica:{seed}:{portal.key}")
    minutes = sorted(rng.randrange(DAYS) * 1440 + rng.randrange(390, 1290) for _ in range(count))
    cats = rng.choices(list(CATEGORIES), weights=_CAT_WEIGHTS, k=count)
    cats[: len(CATEGORIES)] = list(CATEGORIES)[: count]  # every category has at least one
    rng.shuffle(cats)
    styles = rng.choices(_STYLES, weights=_STYLE_WEIGHTS, k=count)
    if count:
        styles[rng.randrange(count)] = "mixed"  # the `tr&ocirc;̀ng` trap must occur at least once
    founding = founding_article(portal)
    founding_minute = int((founding.published_at - FIRST_DAY).total_seconds()) // 60
    before = sum(1 for m in minutes if m <= founding_minute)
    gaps = [rng.choice((1, 1, 1, 2, 2, 3, 5)) for _ in range(count)]
    # Start so that the founding nid falls between its neighbours in time, when there is room.
    nid = max(1000, FOUNDING_NID - sum(gaps[:before]) - 1)
    articles: list[Article] = []
    for i, minute in enumerate(minutes):
        if i == before:
            articles.append(founding)
            nid = max(nid, FOUNDING_NID)
        nid += gaps[i]
        while nid in RESERVED_NIDS:
            nid += 1
        day = FIRST_DAY + timedelta(minutes=minute)
        title = draw_topic(seed, portal, nid, cats[i], day)[0]
        author = None if rng.random() < 0.125 else rng.choice(text.AUTHORS)
        articles.append(Article(nid, title, day.strftime("%d/%m/%Y %H:%M"), author, cats[i],
                                styles[i], portal, seed))
    if before == count:
        articles.append(founding)
    return articles


# -- the replica's clock (day 2: what an incremental crawl must find) ----------------------
NEW_PER_DAY = 5
_NEW_CATEGORIES = (82, 83, 84, 82, 87)
EDIT_NOTE = "Bài viết được cập nhật, bổ sung thông tin theo đề nghị của cơ quan chủ quản."


@dataclass(frozen=True)
class DayChanges:
    """Ground truth of what changed since day 1 (nids); empty on day 1."""

    day: int = 1
    new: tuple[int, ...] = ()
    edited: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    redated: tuple[int, ...] = ()


def advance_day(articles: list[Article], seed: int, portal: Portal, day: int
                ) -> tuple[list[Article], DayChanges]:
    """The site on `day` (>= 2): 5 new articles (newest), 2 edited bodies, 1 removed, 1 re-dated.

    Changes touch the newest day-1 articles (editors fix what they just published) outside
    category 82, whose newest items also sit in the chrome's featured widget.
    """
    if day < 2:
        return articles, DayChanges()
    pool = [a for a in reversed(articles) if a.nid not in RESERVED_NIDS and a.category != 82]
    edited, redated, removed = (pool[0], pool[2]), pool[1], pool[3]
    changed: dict[int, Article | None] = {removed.nid: None}
    for art in edited:
        blocks = list(art.blocks)
        first = next(i for i, (kind, _) in enumerate(blocks) if kind == "p")
        blocks[first] = ("p", f"{blocks[first][1]} {EDIT_NOTE}")
        changed[art.nid] = replace(art, fixed=(art.summary, tuple(blocks)))
    # Same nid, the date line one day earlier; summary and body kept as they were.
    earlier = (redated.published_at - timedelta(days=1)).strftime("%d/%m/%Y %H:%M")
    changed[redated.nid] = replace(redated, published=earlier,
                                   fixed=(redated.summary, redated.blocks))
    result = [changed.get(a.nid, a) for a in articles]
    result = [a for a in result if a is not None]
    newest = max(articles, key=lambda a: a.published_at)
    nid = max(a.nid for a in articles if a.nid not in RESERVED_NIDS)
    rng = random.Random(f"replica:{seed}:{portal.key}:day{day}")
    new: list[int] = []
    for i, cat in enumerate(_NEW_CATEGORIES[:NEW_PER_DAY]):
        nid += 1
        while nid in RESERVED_NIDS:
            nid += 1
        when = newest.published_at + timedelta(days=day - 1, hours=i + 1)
        title = draw_topic(seed, portal, nid, cat, when)[0]
        result.append(Article(nid, title, when.strftime("%d/%m/%Y %H:%M"),
                              rng.choice(text.AUTHORS), cat, "nfc", portal, seed))
        new.append(nid)
    return result, DayChanges(day, tuple(new), tuple(a.nid for a in edited), (removed.nid,),
                              (redated.nid,))


def hostile_article(portal: Portal) -> Article:
    """The opt-in hostile article (category 84): an ordinary page whose body also carries a
    ``<script>``, an ``onerror=`` handler and ``javascript:`` links (pages.HOSTILE_HTML)."""
    return Article(HOSTILE_NID, "Kiểm tra hiển thị an toàn nội dung bài viết", "15/03/2023 08:30",
                   "Ban biên tập", 84, "nfc", portal, 0,
                   fixed=("Bài viết thử nghiệm có mã độc nhúng trong nội dung.",
                          (("p", "Nội dung bài viết có đoạn mã không được phép chạy."),)))
