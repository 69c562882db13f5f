"""Page bodies (the part inside the chrome's main column): article, listing, home, static pages.

The article markup is the contract shared with the extractor (see the task brief): `h1.news-title`,
`div.news-date`, `div.news-sapo`, `div.news-content` with `&nbsp;`-indented paragraphs and the
author as the last right-aligned `<p>`, then `news-tools` and `TIN ĐÃ ĐƯA`.
"""

from __future__ import annotations

import html
import zlib

from . import text
from .model import CATEGORIES, Article

ESC = html.escape
LISTING = "/Trang/Tin-tuc-su-kien.aspx"
PAGE_SIZE = 10
# The postback pager's control id, as SharePoint renders it; only a browser can follow it.
_GRID = "ctl00$ctl40$g_5f1b2c3d_8e9a_4b7c_a1d2_e3f4a5b6c7d8$ctl00$gvNews"


def title_html(article: Article) -> str:
    # Titles, summaries and by-lines are plain-text fields: NFD carries over into them, but
    # entities are what the rich-text editor writes, so only the body gets those.
    return text.render_text(article.title, "nfd" if article.style == "nfd" else "nfc")


def _plain(article: Article, value: str) -> str:
    return text.render_text(value, "nfd" if article.style == "nfd" else "nfc")


def link_for(article: Article) -> str:
    """The URL a listing uses: mostly canonical, sometimes a twin (`&title=`, lowercase path)."""
    kind = (article.nid * 2654435761 >> 7) % 12  # stable per nid, spread across nids
    if kind < 2:
        return f"{article.url}&amp;title={article.slug}.html"
    if kind == 2:
        return f"/trang/chitiettintuc.aspx?nid={article.nid}"
    return article.url


def breadcrumb(*crumbs: tuple[str, str]) -> str:
    links = "".join(f' &gt; <a href="{href}">{ESC(label)}</a>' for href, label in crumbs)
    return f'<div class="breadcrumb"><a href="/Trang/Default.aspx">Trang chủ</a>{links}</div>\r\n'


def _zone(inner: str) -> str:
    return f'<div class="ms-webpart-zone"><div class="ms-WPBody">\r\n{inner}</div></div>\r\n'


def article_body(article: Article, older: list[Article], attachments: str = "") -> str:
    """The article's main column; ``attachments`` is the "Văn bản đính kèm" box (HTML from
    ``documents.attachments_html``), shown under the content."""
    rng = article.rng("encoding")
    indent = "\u00a0" * 4 if article.style == "nfd" else "&nbsp;" * 4  # raw NBSP when pasted
    parts: list[str] = []
    for kind, value in article.blocks:
        if kind == "p":
            parts.append(f"<p>{indent}{text.render_text(value, article.style, rng)}</p>\r\n")
        elif kind == "img":
            parts.append(f'<p style="text-align: center;"><img alt="" src="{value}" '
                         'style="width: 600px;" /></p>\r\n')
        else:
            parts.append(f"<p><em>{text.render_text(value, article.style, rng)}</em></p>\r\n")
    if article.author:
        parts.append('<p style="text-align: right;"><strong>'
                     f"{_plain(article, article.author)}</strong></p>\r\n")
    others = "".join(f'<li><a href="{o.url}">{title_html(o)}</a> <span>({o.date})</span></li>'
                     for o in older)
    cat = article.category
    return breadcrumb((f"{LISTING}?Cat={cat}", CATEGORIES[cat])) + _zone(
        ' <div class="news-detail">\r\n'
        f'  <h1 class="news-title">{title_html(article)}</h1>\r\n'
        f'  <div class="news-date">{article.published}</div>\r\n'
        f'  <div class="news-sapo"><strong>{_plain(article, article.summary)}</strong></div>\r\n'
        f'  <div class="news-content ms-rtestate-field">\r\n{"".join(parts)}  </div>\r\n'
        f"{attachments}"
        f'  <div class="news-tools"><a href="/Trang/GuiYKien.aspx?nid={article.nid}">Gửi ý kiến '
        'phản hồi</a> <a href="javascript:window.print()">In trang</a> <a href="#">Chia sẻ</a>'
        '</div>\r\n'
        f'  <div class="other-news"><h3>TIN ĐÃ ĐƯA</h3><ul>{others}</ul></div>\r\n'
        ' </div>\r\n')


def untitled_body(nid: int) -> str:
    """The special article with neither title nor date line: extraction must give up on it."""
    return breadcrumb((f"{LISTING}?Cat=86", CATEGORIES[86])) + _zone(
        ' <div class="news-detail">\r\n'
        '  <div class="news-content ms-rtestate-field">\r\n'
        "<p>&nbsp;&nbsp;&nbsp;&nbsp;Nội dung đang được cập nhật.</p>\r\n  </div>\r\n"
        f'  <div class="news-tools"><a href="/Trang/GuiYKien.aspx?nid={nid}">Gửi ý kiến phản '
        'hồi</a></div>\r\n </div>\r\n')


def news_item(href: str, title: str, date: str, summary: str, thumb: str) -> str:
    return (f'<div class="news-item"><a class="news-thumb" href="{href}"><img src="{thumb}" '
            'alt="" width="120" height="80" /></a>'
            f'<h2 class="news-item-title"><a href="{href}">{title}</a></h2>'
            f'<span class="news-item-date">{date}</span>'
            f'<p class="news-item-summary">{summary}</p></div>\r\n')


def article_item(article: Article, href: str | None = None) -> str:
    return news_item(href or link_for(article), title_html(article), article.date,
                     _plain(article, article.summary), article.thumbnail)


def listing_body(cat: int, page: int, pages: int, items: list[Article], pinned: str = "",
                 highlight: Article | None = None) -> str:
    """One page of a category: `pinned` special items, then 10 articles, newest first."""
    top = ""
    if highlight is not None:
        top = (f'<div class="news-highlight"><a href="{highlight.url}">{title_html(highlight)}'
               f'</a> <span>({highlight.date})</span></div>\r\n')
    window = range(max(1, page - 5), min(pages, page + 5) + 1)
    get_pager = " ".join(
        f'<span class="current">{n}</span>' if n == page
        else f'<a href="{LISTING}?Cat={cat}&amp;Page={n}">{n}</a>' for n in window)
    if page < pages:
        get_pager += (f' <a href="{LISTING}?Cat={cat}&amp;Page={page + 1}">Trang sau</a>'
                      f' <a href="{LISTING}?Cat={cat}&amp;Page={pages}">Trang cuối</a>')
    postback = " ".join(f'<a href="javascript:__doPostBack(\'{_GRID}\',\'Page${n}\')">{n}</a>'
                        for n in window if n != page)
    label = CATEGORIES[cat]
    return breadcrumb((f"{LISTING}?Cat=82", "Tin tức - Sự kiện"),
                      (f"{LISTING}?Cat={cat}", label)) + _zone(
        f'<div class="news-list"><h2 class="cat-title">{ESC(label)}</h2>\r\n{top}{pinned}'
        + "".join(article_item(a) for a in items)
        + f'<div class="pager">Trang: {get_pager}</div>\r\n'
        f'<div class="pager-postback">{postback}</div>\r\n</div>\r\n')


def home_body(newest: list[Article], per_category: dict[int, list[Article]]) -> str:
    blocks = "".join(
        f'<div class="home-cat"><h3><a href="{LISTING}?Cat={cid}">{ESC(CATEGORIES[cid])}</a></h3>'
        '<ul>' + "".join(f'<li><a href="{link_for(a)}">{title_html(a)}</a></li>' for a in items)
        + f'</ul><a class="more" href="{LISTING}?Cat={cid}">Xem tiếp</a></div>\r\n'
        for cid, items in per_category.items())
    return _zone('<div class="home-news"><h2 class="cat-title">Tin mới</h2>\r\n'
                 + "".join(article_item(a) for a in newest) + f"</div>\r\n{blocks}")


def static_body(title: str, paragraphs: list[str], extra: str = "") -> str:
    body = "".join(f"<p>{ESC(p, quote=False)}</p>\r\n" for p in paragraphs)
    return breadcrumb() + _zone(f'<div class="static-page"><h1 class="page-title">{ESC(title)}'
                                f"</h1>\r\n{body}{extra}</div>\r\n")


def etag_of(content: bytes, fixed: bool) -> str:
    # Volatile counters change the bytes on every hit, so those pages get a weak ETag.
    tag = f"{zlib.crc32(content):08x}"
    return f'"{tag}:0"' if fixed else f'W/"{tag}"'


# The hostile article's extra body markup: each payload marks the top window if it ever runs.
HOSTILE_HTML = (
    "<p><script>window.top.__pwned = 'script';</script>Đoạn văn có mã script.</p>\r\n"
    '<p><img src="/x-missing.jpg" onerror="window.top.__pwned = \'onerror\'" alt="" />'
    "Ảnh có onerror.</p>\r\n"
    '<p><a href="javascript:window.top.__pwned = \'link\'">Liên kết javascript</a> '
    '<a href="JaVaScRiPt:alert(1)" onclick="window.top.__pwned = \'onclick\'">Xem thêm</a>'
    "</p>\r\n"
    "<style>body{display:none}</style>\r\n")


def hostile_body(article: Article, older: list[Article]) -> str:
    """article_body with HOSTILE_HTML at the top of the news content (opt-in special page)."""
    marker = '<div class="news-content ms-rtestate-field">\r\n'
    return article_body(article, older).replace(marker, marker + HOSTILE_HTML, 1)
