"""Replica of a Liferay 6.x department portal (sotttt.hanoi.gov.vn style, asset publisher 101).

URLs: home ``/vi/trang-chu``; category pages ``/vi/<cat>`` paged by
``?p_p_id=101&p_p_lifecycle=0&_101_delta=10&_101_cur=N``; articles
``/vi/<cat>/-/view_content/<id>-<slug>.html``; the print twin
``/vi/<cat>/-/view_content/pop_up/<id>-<slug>.html?_101_viewMode=print``; the home page links
the same assets under another category path (``/vi/tin-noi-bat/-/view_content/…``). Dates
read ``Ngày đăng 16/04/2021 | 9:07 AM | View count: 865`` (12-hour clock without a leading
zero; ``12:00 AM`` when no time was entered; the view count is not always there); the byline
is ``p.view-content-author`` and may be the placeholder ``admin admin``. The visit counter
(``Số lượng truy cập``: ``Đang truy cập``, ``Tổng``) is on the home page only, as on the real
site; the markup copies the real pages in ../shared/portals/html/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .common import (
    ESC,
    Category,
    FamilySite,
    FArticle,
    Profile,
    body_html,
    counters_for,
    dotted,
    filler,
    render,
)

PROFILE = Profile(
    key="liferay", district="Ba Vì",
    communes=("xã Tản Lĩnh", "xã Ba Trại", "xã Minh Quang", "xã Vân Hòa", "thị trấn Tây Đằng"),
    categories=(Category("tin-tuc-su-kien", "Tin tức sự kiện"),
                Category("cong-nghe-thong-tin", "Công nghệ thông tin"),
                Category("buu-chinh-vien-thong", "Bưu chính viễn thông")),
    first_id=4_300_000, id_gaps=(7, 13, 29, 101),
    bylines=(("Bùi Thị Quỳnh", "Bùi Thị Quỳnh"), ("admin admin", None),
             ("Nguyễn Minh Hoa", "Nguyễn Minh Hoa"), ("Trần Đức Long", "Trần Đức Long"),
             ("Phòng CNTT", "Phòng CNTT")),
    time_shown=0.8, view_counts=0.6,
)
SITE = "Sở Thông tin và Truyền thông Hà Nội"
_ARTICLE = re.compile(r"^/vi/([^/]+)/-/view_content/(pop_up/)?(\d+)-[^/]*\.html$", re.I)


def clock(a: FArticle) -> str:
    """Liferay's English 12-hour clock: ``9:07 AM``; ``12:00 AM`` when no time was given."""
    if not a.has_time:
        return "12:00 AM"
    h = a.published.hour
    return f"{(h - 1) % 12 + 1}:{a.published.minute:02d} {'AM' if h < 12 else 'PM'}"


class LiferaySite(FamilySite):
    profile = PROFILE
    family = "liferay"

    def article_url(self, a: FArticle, cat: str | None = None, popup: bool = False) -> str:
        middle = "pop_up/" if popup else ""
        return (f"/vi/{cat or a.category.slug}/-/view_content/{middle}{a.aid}-{a.slug}.html"
                + ("?_101_viewMode=print" if popup else ""))

    def listing_url(self, cat: str, page: int = 1) -> str:
        if page == 1:
            return f"/vi/{cat}"
        return f"/vi/{cat}?p_p_id=101&p_p_lifecycle=0&_101_delta=10&_101_cur={page}"

    def listing_urls(self) -> Iterator[str]:
        yield "/vi/trang-chu"
        for cat in self.by_category:
            for page in range(1, self.pages_of(cat) + 1):
                yield self.listing_url(cat, page)

    def route(self, path: str, params: dict[str, str]):
        if path == "/":
            return self.redirect(302, "/vi/trang-chu")
        if path == "/robots.txt":
            return ("robots",)
        if path.lower() in ("/vi/trang-chu", "/vi"):
            return ("home",)
        m = _ARTICLE.match(path)
        if m:
            a = self.by_id.get(int(m.group(3)))
            return ("article", a.aid, bool(m.group(2))) if a else None
        m = re.match(r"^/vi/([^/]+)$", path)
        if m and m.group(1) in self.by_category:
            page = int(params.get("_101_cur") or 1)
            if 1 <= page <= self.pages_of(m.group(1)):
                return ("listing", m.group(1), page)
        return None

    def counter_truth(self, online, today, month, total, article):
        return {} if article else {"online_now": online, "visits_total": total}

    def render(self, key: tuple) -> str:
        kind = key[0]
        if kind == "robots":
            return "User-agent: *\r\nDisallow: /c/portal/login\r\n"
        if kind == "home":
            items = "".join(self._abstract(a, href=self.article_url(a, "tin-noi-bat"))
                            if a.aid % 2 else self._abstract(a) for a in self.newest[:10])
            online, _, _, total = counters_for("/vi/trang-chu")
            counter = ('<div class="so-luong-truy-cap"><h3>Số lượng truy cập</h3>'
                       f'<p>Đang truy cập: <span>{online}</span></p>'
                       f'<p>Tổng: <span>{dotted(total)}</span></p></div>')
            return self._frame(f"Trang chủ - {SITE}", f'<div class="home">{items}</div>',
                               extra=counter)
        if kind == "listing":
            return self._listing(key[1], key[2])
        if kind == "article":
            return self._article(self.by_id[key[1]], key[2])
        return self._frame("Lỗi 404", '<div class="portlet-msg-error">Không tìm thấy trang yêu '
                           'cầu.</div>')

    def _abstract(self, a: FArticle, href: str | None = None) -> str:
        return (f'<div class="asset-abstract"><h3 class="asset-title"><a href="'
                f'{href or self.article_url(a)}">{render(a, a.title)}</a></h3>'
                f'<div class="asset-metadata">{a.published:%d/%m/%Y} | {clock(a)}</div>'
                f'<div class="asset-summary">{render(a, a.summary)}</div></div>\r\n')

    def _listing(self, cat: str, page: int) -> str:
        items = "".join(self._abstract(a) for a in self.page_items(cat, page))
        if page == 1 and cat == self.profile.categories[0].slug:
            items += (f'<div class="asset-abstract"><h3 class="asset-title"><a href="/vi/{cat}/-'
                      f'/view_content/{self.missing_id}-thong-bao-tuyen-dung.html">Thông báo '
                      'tuyển dụng viên chức</a></h3><div class="asset-metadata">05/03/2024 | '
                      '12:00 AM</div></div>\r\n')
        pages = self.pages_of(cat)
        pager = "".join(f'<li><a href="{self.listing_url(cat, n)}">{n}</a></li>'
                        for n in range(1, pages + 1) if n != page)
        label = next(c.label for c in self.profile.categories if c.slug == cat)
        return self._frame(f"{label} - {SITE}",
                           f'<div class="dd_chuyenmuc"><span class="trangchu"><a href="/vi/trang-'
                           f'chu">Trang chủ</a></span><span class="tintuc"><p>{ESC(label)}</p>'
                           f'</span></div><div class="asset-publisher">{items}</div>'
                           f'<div class="taglib-page-iterator"><ul class="pager">{pager}</ul>'
                           '</div>')

    def _article(self, a: FArticle, printing: bool) -> str:
        views = f" | View count: {a.view_count}" if a.view_count is not None else ""
        byline = (f'\r\n\t<p align="right" class="view-content-author">\r\n\t\t<strong><em>'
                  f'{render(a, a.byline)}</em></strong>\r\n\t</p>\r\n' if a.byline else "")
        spaced = body_html(a, ' style="text-align: justify;"').replace(
            "</p>\r\n", '</p>\r\n<p style="text-align: justify;">&nbsp;</p>\r\n')
        others = "".join(f'<li><a href="{self.article_url(o)}">{render(o, o.title)}</a></li>'
                         for o in self.by_category[a.category.slug][:5] if o is not a)
        inner = (
            f'<div class="dd_chuyenmuc"><span class="trangchu"><a href="/vi/trang-chu">Trang chủ'
            f'</a></span><span class="tintuc"><p>{ESC(a.category.label)}</p></span></div>\r\n'
            '<div class="portlet-boundary portlet-boundary_101_ portlet-asset-publisher" '
            'id="p_p_id_101_"><div class="portlet-body"><div>\r\n'
            f'<div class="asset-full-content-title">{render(a, a.title)}</div>\r\n'
            '<div class="assetPublishDate block_timer">\r\n\t\t\tNgày đăng '
            f'{a.published:%d/%m/%Y} | {clock(a)}{views}\r\n</div>\r\n'
            f'<div class="asset-full-content show-asset-title"><div class="asset-content" '
            f'id="_101_{a.aid}">\r\n<div class="sapo-wrapper clearfix"><p class="sapo">'
            f'<strong>{render(a, a.summary)}</strong></p></div>\r\n'
            f'<div class="journal-content-article">\r\n{spaced}{byline}</div>\r\n</div></div>\r\n'
            '<div class="asset-control-detail"><span class="print-action"><a href="'
            f'{self.article_url(a, popup=True)}"><span class="taglib-text">In bài viết</span></a>'
            '</span></div></div></div></div>\r\n'
            f'<div class="other-news"><h3>Các tin khác</h3><ul>{others}</ul></div>')
        title = "Huyện Sóc Sơn - Trang chủ" if a.wrong_title else f"{a.title} - {SITE}"
        if printing:
            return f"<html><head><title>{ESC(title)}</title></head><body>{inner}</body></html>"
        return self._frame(title, inner)

    def _frame(self, title: str, main: str, extra: str = "") -> str:
        menu = "".join(f'<li><a href="/vi/{c.slug}">{ESC(c.label)}</a></li>'
                       for c in self.profile.categories)
        return (
            '<!DOCTYPE html><html class="ltr" dir="ltr" lang="vi-VN"><head>'
            f'<title>{ESC(title)}</title><meta content="text/html; charset=UTF-8" '
            'http-equiv="content-type" />'
            '<script type="text/javascript">var Liferay = {}; Liferay.ThemeDisplay = '
            '{getLanguageId: function() { return "vi_VN"; }};</script>'
            f'{filler("liferay:" + str(self.seed), self.chrome_kb * 800)}</head>\r\n'
            '<body class="so4t-theme"><div id="wrapper"><header id="banner"><h1 class="site-'
            f'title"><a href="/vi/trang-chu">{ESC(SITE)}</a></h1></header>\r\n'
            f'<nav id="navigation"><ul><li><a href="/vi/trang-chu">Trang chủ</a></li>{menu}</ul>'
            '</nav>\r\n'
            '<div id="content"><div class="portlet-layout"><div class="portlet-column '
            f'portlet-column-first" id="column-1">{main}</div>\r\n'
            '<div class="portlet-column portlet-column-last" id="column-2">'
            '<div class="portlet-boundary"><h3>Liên kết website</h3><ul><li><a href="https://'
            f'hanoi.gov.vn/">Cổng giao tiếp điện tử Hà Nội</a></li></ul></div>{extra}</div>'
            '</div></div>\r\n'
            f'<footer id="footer"><p>{ESC(SITE)} - 185 Giảng Võ, Đống Đa, Hà Nội</p></footer>'
            '</div></body></html>\r\n')


SITE_CLASS = LiferaySite
