"""Replica of a Lạc Việt SharePoint 2010 district portal (daksong.daknong.gov.vn style).

URLs: home ``/default.aspx``; listings ``/Lists/Posts/AllPosts.aspx?CategoryId=<n>``, older
items by the date-based "Xem tiếp" link ``…&PublishedDate=<ISO of the last item shown>``;
articles ``/Lists/Posts/Post.aspx?ID=<n>`` (listings sometimes write the path and parameter
in lower case; the print twin adds ``&print=1``). Dates are ``td.Time`` ``08/11/2019``
(date only); the byline is the last right-aligned ``<p>`` (``Bài, ảnh: Đức Hùng``); the
per-article view count is filled by JavaScript from another host, so the HTML has only the
label. The sidebar's ``Thống kê truy cập`` shows ``Trực tuyến`` and ``Lượt truy cập``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from .common import (
    ESC,
    PAGE_SIZE,
    VN_TZ,
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
    key="lacviet", district="Đắk Song",
    communes=("xã Nâm N'Jang", "xã Trường Xuân", "xã Đắk Môl", "xã Thuận Hạnh", "thị trấn Đức An"),
    categories=(Category("16", "Tin tức - Sự kiện"), Category("17", "Kinh tế"),
                Category("18", "Văn hóa - Xã hội")),
    first_id=300,
    bylines=(("Bài, ảnh: Đức Hùng", "Đức Hùng"), ("Đức Hùng", "Đức Hùng"),
             ("Bài, ảnh: Hồng Nhung", "Hồng Nhung"), ("Văn Tuấn", "Văn Tuấn"),
             ("Tin: Thanh Hà", "Thanh Hà")),
    time_shown=0.0, view_counts=0.0,
)
SITE = "Cổng thông tin điện tử huyện Đắk Song"
POSTS = "/Lists/Posts"


class LacvietSite(FamilySite):
    profile = PROFILE
    family = "lacviet"

    def article_url(self, a: FArticle) -> str:
        return f"{POSTS}/Post.aspx?ID={a.aid}"

    def link_for(self, a: FArticle) -> str:
        return f"/lists/posts/post.aspx?id={a.aid}" if a.aid % 3 == 0 else self.article_url(a)

    def listing_url(self, cat: str, after: FArticle | None = None) -> str:
        url = f"{POSTS}/AllPosts.aspx?CategoryId={cat}"
        return url + (f"&PublishedDate={after.published:%Y-%m-%dT%H:%M:%S}" if after else "")

    def listing_urls(self) -> Iterator[str]:
        yield "/default.aspx"
        for cat, items in self.by_category.items():
            yield self.listing_url(cat)
            for i in range(PAGE_SIZE - 1, len(items) - 1, PAGE_SIZE):
                yield self.listing_url(cat, items[i])

    def route(self, path: str, params: dict[str, str]):
        low = path.lower()
        if low == "/":
            return self.redirect(302, "/default.aspx")
        if low == "/robots.txt":
            return ("robots",)
        if low == "/default.aspx":
            return ("home",)
        if low == "/lists/posts/post.aspx":
            a = self.by_id.get(int(params.get("id") or 0))
            return ("article", a.aid, "print" in params) if a else None
        if low == "/lists/posts/allposts.aspx":
            cat = params.get("categoryid") or ""
            if cat not in self.by_category:
                return None
            before = params.get("publisheddate") or ""
            if before:
                datetime.fromisoformat(before)  # ValueError: 404
            return ("listing", cat, before)
        return None

    def counter_truth(self, online, today, month, total, article):
        return {"online_now": online, "visits_total": total}

    def render(self, key: tuple) -> str:
        kind = key[0]
        if kind == "robots":
            return "User-agent: *\r\nDisallow: /_layouts/\r\n"
        if kind == "home":
            items = "".join(self._item(a) for a in self.newest[:10])
            return self._frame(SITE, "/default.aspx", f'<div class="ms-blogposts">{items}</div>')
        if kind == "listing":
            return self._listing(key[1], key[2])
        if kind == "article":
            return self._article(self.by_id[key[1]], key[2])
        return self._frame("Lỗi", "/404", '<div class="ms-error">Không tìm thấy mục này.</div>')

    def _item(self, a: FArticle, href: str | None = None) -> str:
        return (f'<table class="ms-PostItem"><tr><td class="ms-PostTitle"><a href="'
                f'{href or self.link_for(a)}">{render(a, a.title)}</a></td></tr>'
                f'<tr><td class="Time">{a.published:%d/%m/%Y}</td></tr>'
                f'<tr><td class="ms-PostSummary">{render(a, a.summary)}</td></tr></table>\r\n')

    def _listing(self, cat: str, before: str) -> str:
        items = self.by_category[cat]
        if before:
            limit = datetime.fromisoformat(before).replace(tzinfo=VN_TZ)
            items = [a for a in items if a.published < limit]
        shown = items[:PAGE_SIZE]
        html = "".join(self._item(a) for a in shown)
        if not before and cat == self.profile.categories[0].slug:
            html += self._item(self.articles[0],
                               href=f"{POSTS}/Post.aspx?ID={self.missing_id}")
        more = (f'<div class="ms-morelink"><a href="{self.listing_url(cat, shown[-1])}">Xem tiếp'
                '</a></div>' if len(items) > PAGE_SIZE else "")
        label = next(c.label for c in self.profile.categories if c.slug == cat)
        return self._frame(f"{label} - {SITE}", self.listing_url(cat) + before,
                           f'<h2 class="ms-CategoryTitle">{ESC(label)}</h2><div class="ms-blog'
                           f'posts">{html}</div>{more}')

    def _article(self, a: FArticle, printing: bool) -> str:
        byline = f'<p align="right"><strong>{render(a, a.byline)}</strong></p>\r\n' \
            if a.byline else ""
        others = "".join(f'<li><a href="{self.link_for(o)}">{render(o, o.title)}</a></li>'
                         for o in self.by_category[a.category.slug][:5] if o is not a)
        inner = (
            '<table class="ms-PostWrapper" width="100%"><tr><td>'
            f'<h2 class="ms-PostTitle">{render(a, a.title)}</h2></td></tr>\r\n'
            f'<tr><td class="Time">{a.published:%d/%m/%Y}</td></tr>\r\n'
            f'<tr><td class="ms-PostBody"><div class="ExternalClass{a.aid:08X}">\r\n'
            f'<p><strong>{render(a, a.summary)}</strong></p>\r\n{body_html(a)}{byline}</div>'
            '</td></tr>\r\n'
            '<tr><td class="ms-PostFooter">Lượt xem: <span id="hitcount"></span>'
            '<script type="text/javascript" src="http://stats.daknong.gov.vn/hit.js"></script>'
            f' | <a href="{self.article_url(a)}&amp;print=1">In bài</a></td></tr></table>\r\n'
            f'<div class="ms-related"><h3>Tin khác</h3><ul>{others}</ul></div>')
        title = "Cổng thông tin điện tử tỉnh Đắk Nông" if a.wrong_title else \
            f"{SITE} - {a.title}"
        if printing:
            return f"<html><head><title>{ESC(title)}</title></head><body>{inner}</body></html>"
        return self._frame(title, self.article_url(a), inner)

    def _frame(self, title: str, key: str, main: str) -> str:
        online, _, _, total = counters_for(key)
        menu = "".join(f'<li><a href="{self.listing_url(c.slug)}">{ESC(c.label)}</a></li>'
                       for c in self.profile.categories)
        return (
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/'
            'xhtml1/DTD/xhtml1-strict.dtd"><html dir="ltr"><head>'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />'
            f'<title>{ESC(title)}</title><meta name="GENERATOR" content="Microsoft SharePoint" />'
            f'{filler("lacviet:" + str(self.seed), self.chrome_kb * 800)}</head>\r\n'
            '<body><form name="aspnetForm" method="post" id="aspnetForm">'
            '<input type="hidden" name="__VIEWSTATE" value="/wEPDwULLTE2MDk1MjAzNjVkZA==" />'
            f'<div class="lv-banner"><a href="/default.aspx">{ESC(SITE)}</a></div>\r\n'
            f'<div class="lv-menu"><ul><li><a href="/default.aspx">Trang chủ</a></li>{menu}'
            '</ul></div>\r\n'
            f'<table class="lv-layout"><tr><td class="lv-main" valign="top">{main}</td>\r\n'
            '<td class="lv-right" valign="top"><div class="lv-box"><h3>Văn bản mới</h3><ul><li>'
            '<a href="/VanBan/Lists/VanBan/AllItems.aspx">Văn bản chỉ đạo điều hành</a></li>'
            '</ul></div><div class="lv-box"><h3>Thống kê truy cập</h3>'
            f'<p>Trực tuyến: {online}</p><p>Lượt truy cập: {dotted(total)}</p></div></td></tr>'
            '</table>\r\n'
            f'<div class="lv-footer">{ESC(SITE)} - Thị trấn Đức An, huyện Đắk Song, tỉnh Đắk '
            'Nông</div></form></body></html>\r\n')


SITE_CLASS = LacvietSite
