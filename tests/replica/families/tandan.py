"""Replica of a Tân Dân "portal/Pages" SharePoint site (Hà Tĩnh district style).

URLs: home ``/portal/Pages/default.aspx``; listings ``/portal/Pages/<Category>.aspx`` paged by
``?PageIndex=N``; articles ``/portal/Pages/YYYY-M-D/<Slug><id>.aspx`` (listings sometimes
write ``/portal/pages/`` in lower case; the print twin adds ``?print=1``). Article pages show
``Đăng ngày 17 - 05 - 2024`` (date only) then ``Lượt xem: 400``; the author is the trailing
right-aligned paragraph; ``Thống kê truy cập`` lists ``Đang truy cập``, ``Hôm nay``,
``Tổng lượt truy cập`` with ``.`` thousands separators.
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
    key="tandan", district="Hương Sơn",
    communes=("xã Sơn Hồng", "xã Sơn Tây", "xã Sơn Kim 1", "xã Sơn Lĩnh", "thị trấn Phố Châu"),
    categories=(Category("Tin-tuc-su-kien", "Tin tức - Sự kiện"),
                Category("Kinh-te", "Kinh tế"), Category("Van-hoa-xa-hoi", "Văn hóa - Xã hội")),
    first_id=120_000,
    bylines=(("Thu Hà", "Thu Hà"), ("Minh Tuấn - Trung tâm VH-TT", "Minh Tuấn"),
             ("Bài, ảnh: Phan Trâm", "Phan Trâm"), ("Ngọc Anh", "Ngọc Anh"),
             ("Đức Hải (TTVH)", "Đức Hải")),
    time_shown=0.0,
)
SITE = "Cổng thông tin điện tử huyện Hương Sơn"
_ARTICLE = re.compile(r"^/portal/pages/(\d{4})-(\d{1,2})-(\d{1,2})/([^/]+)\.aspx$", re.I)
_LISTING = re.compile(r"^/portal/pages/([^/]+)\.aspx$", re.I)


class TandanSite(FamilySite):
    profile = PROFILE
    family = "tandan"

    def article_url(self, a: FArticle) -> str:
        d = a.published
        return f"/portal/Pages/{d.year}-{d.month}-{d.day}/{a.slug.title()}{a.aid}.aspx"

    def link_for(self, a: FArticle) -> str:
        url = self.article_url(a)
        return url.replace("/Pages/", "/pages/") if a.aid % 3 == 0 else url

    def listing_url(self, cat: str, page: int = 1) -> str:
        return f"/portal/Pages/{cat}.aspx" + (f"?PageIndex={page}" if page > 1 else "")

    def listing_urls(self) -> Iterator[str]:
        yield "/portal/Pages/default.aspx"
        for cat in self.by_category:
            for page in range(1, self.pages_of(cat) + 1):
                yield self.listing_url(cat, page)

    def route(self, path: str, params: dict[str, str]):
        if path == "/":
            return self.redirect(302, "/portal/Pages/default.aspx")
        if path == "/robots.txt":
            return ("robots",)
        if path.lower() == "/portal/pages/default.aspx":
            return ("home",)
        m = _ARTICLE.match(path)
        if m:
            for a in self.articles:  # small sites: a scan is fine
                if self.article_url(a).lower() == path.lower():
                    return ("article", a.aid, "print" in params)
            return None
        m = _LISTING.match(path)
        if m:
            cats = {c.lower(): c for c in self.by_category}
            cat = cats.get(m.group(1).lower())
            page = int(params.get("pageindex") or 1)
            if cat and 1 <= page <= self.pages_of(cat):
                return ("listing", cat, page)
        return None

    def counter_truth(self, online, today, month, total, article):
        return {"online_now": online, "visits_today": today, "visits_total": total}

    # -- pages ---------------------------------------------------------------------------

    def render(self, key: tuple) -> str:
        kind = key[0]
        if kind == "robots":
            return "User-agent: *\r\nDisallow: /_layouts/\r\n"
        if kind == "home":
            items = "".join(self._item(a) for a in self.newest[:10])
            return self._frame(SITE, "/portal/Pages/default.aspx",
                               f'<div class="td-home"><h2>Tin mới</h2>{items}</div>')
        if kind == "listing":
            return self._listing(key[1], key[2])
        if kind == "article":
            return self._article(self.by_id[key[1]], key[2])
        return self._frame("Lỗi", "/404", '<div class="td-error"><h1>Không tìm thấy trang'
                           '</h1><p>Trang bạn yêu cầu không tồn tại.</p></div>')

    def _item(self, a: FArticle, href: str | None = None) -> str:
        return (f'<div class="td-item"><h3><a href="{href or self.link_for(a)}">'
                f'{render(a, a.title)}</a></h3><span class="td-item-date">'
                f'{a.published:%d/%m/%Y}</span><p>{render(a, a.summary)}</p></div>\r\n')

    def _listing(self, cat: str, page: int) -> str:
        items = "".join(self._item(a) for a in self.page_items(cat, page))
        if page == 1 and cat == self.profile.categories[0].slug:
            items += (f'<div class="td-item"><h3><a href="/portal/Pages/2024-3-5/Thong-bao-lich'
                      f'-tiep-cong-dan{self.missing_id}.aspx">Thông báo lịch tiếp công dân '
                      'tháng 3/2024</a></h3><span class="td-item-date">05/03/2024</span></div>')
        pages = self.pages_of(cat)
        pager = " ".join(f"<span>{n}</span>" if n == page else
                         f'<a href="{self.listing_url(cat, n)}">{n}</a>'
                         for n in range(1, pages + 1))
        label = next(c.label for c in self.profile.categories if c.slug == cat)
        return self._frame(f"{label} - {SITE}", self.listing_url(cat, page),
                           f'<div class="td-list"><h2 class="td-cat">{ESC(label)}</h2>{items}'
                           f'<div class="td-pager">Trang: {pager}</div></div>',
                           crumbs=[(self.listing_url(cat), label)])

    def _article(self, a: FArticle, printing: bool) -> str:
        url = self.article_url(a)
        views = f' | <span class="td-views">Lượt xem: {a.view_count}</span>' \
            if a.view_count is not None else ""
        byline = (f'<p style="text-align: right;"><strong>{render(a, a.byline)}</strong></p>\r\n'
                  if a.byline else "")
        others = "".join(f'<li><a href="{self.link_for(o)}">{render(o, o.title)}</a></li>'
                         for o in self.by_category[a.category.slug][:5] if o is not a)
        inner = (
            '<div class="td-news-detail">\r\n'
            f'<h1 class="td-title">{render(a, a.title)}</h1>\r\n'
            f'<div class="td-date"><span>Đăng ngày {a.published:%d - %m - %Y}</span>{views}'
            '</div>\r\n'
            f'<div class="td-sapo"><strong>{render(a, a.summary)}</strong></div>\r\n'
            f'<div class="td-content ms-rtestate-field">\r\n{body_html(a)}{byline}</div>\r\n'
            f'<div class="td-tools"><a href="{url}?print=1">In bài viết</a> '
            '<a href="javascript:sendMail()">Gửi email</a> <a href="#top">Về đầu trang</a>'
            '</div>\r\n'
            f'<div class="td-other"><h3>Các tin khác</h3><ul>{others}</ul></div>\r\n</div>')
        title = "Trang chủ - Cổng thông tin điện tử tỉnh Hà Tĩnh" if a.wrong_title else \
            f"{a.title} - {SITE}"
        if printing:
            return (f"<!DOCTYPE html><html><head><title>{ESC(title)}</title></head>"
                    f'<body onload="window.print()">{inner}</body></html>')
        return self._frame(title, url, inner, page_key=url,
                           crumbs=[(self.listing_url(a.category.slug), a.category.label)])

    def _frame(self, title: str, key: str, main: str, page_key: str | None = None,
               crumbs: list[tuple[str, str]] | None = None) -> str:
        online, today, _, total = counters_for(page_key or key)
        menu = "".join(f'<li><a href="{self.listing_url(c.slug)}">{ESC(c.label)}</a></li>'
                       for c in self.profile.categories)
        crumb = "".join(f' &gt; <a href="{h}">{ESC(t)}</a>' for h, t in crumbs or [])
        return (
            '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8" />'
            f'<title>{ESC(title)}</title>'
            '<meta name="GENERATOR" content="Microsoft SharePoint" />'
            f'{filler("tandan:" + str(self.seed), self.chrome_kb * 700)}</head>\r\n<body>'
            '<form id="aspnetForm" method="post"><input type="hidden" name="__VIEWSTATE" '
            'value="/wEPDwUKMTY1NDU2MTA1Mg9kFgJmD2QWAgIBD2QWAg==" />'
            f'<div class="td-banner"><a href="/portal/Pages/default.aspx">{ESC(SITE)}</a></div>'
            f'<div class="td-menu"><ul><li><a href="/portal/Pages/default.aspx">Trang chủ</a>'
            f'</li>{menu}</ul></div>\r\n'
            '<div class="td-main">'
            f'<div class="breadcrumb"><a href="/portal/Pages/default.aspx">Trang chủ</a>{crumb}'
            f'</div>\r\n{main}</div>\r\n'
            '<div class="td-right"><div class="td-box"><h3>Liên kết website</h3><ul>'
            '<li><a href="https://hatinh.gov.vn/">Cổng TTĐT tỉnh Hà Tĩnh</a></li></ul></div>'
            '<div class="td-box thongke"><h3>Thống kê truy cập</h3>'
            f'<p>Đang truy cập: <b>{online}</b></p><p>Hôm nay: <b>{dotted(today)}</b></p>'
            f'<p>Tổng lượt truy cập: <b>{dotted(total)}</b></p></div></div>\r\n'
            f'<div class="td-footer">{ESC(SITE)} - Địa chỉ: thị trấn Phố Châu, huyện Hương Sơn'
            '</div></form></body></html>\r\n')


SITE_CLASS = TandanSite
