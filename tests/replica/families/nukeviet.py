"""Replica of a NukeViet 4 eGovernment commune site (Đồng Nai / Tây Ninh style).

URLs: home ``/``; listings ``/vi/news/<cat>/`` paged by ``/vi/news/<cat>/page-N``; articles
``/vi/news/<cat>/<slug>-<id>.html``, with twins ``/vi/news/print/…``, ``/vi/news/savefile/…``
and the legacy path without ``/vi`` (some listing links use it). The markup follows the
theme's ``detail.tpl``: ``h1[itemprop=headline]``, hidden schema.org ``datePublished`` (ISO)
and ``author`` (the site name when no author was entered: a trap for metadata fallbacks),
``Thứ ba - 01/02/2022 18:11``, ``#hometext``, ``#news-bodyhtml``, then ``Tác giả bài viết:``
and ``Nguồn tin:`` lines, ``Lượt xem`` (``,`` thousands) and the ``ul.counter`` widget
(``Đang truy cập``, ``Hôm nay``, ``Tháng hiện tại``, ``Tổng lượt truy cập``).
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
    key="nukeviet", district="Trảng Bom",
    communes=("xã Bắc Sơn", "xã Hố Nai 3", "xã Sông Trầu", "xã Đồi 61", "thị trấn Trảng Bom"),
    categories=(Category("tin-tuc-su-kien", "Tin tức - Sự kiện"),
                Category("kinh-te", "Kinh tế"), Category("van-hoa-xa-hoi", "Văn hóa - Xã hội")),
    first_id=1_200,
    bylines=(("Nguyễn Văn Bình", "Nguyễn Văn Bình"), ("Lê Thị Thu Trang", "Lê Thị Thu Trang"),
             ("Phạm Hùng", "Phạm Hùng"), ("Trần Quốc Việt", "Trần Quốc Việt")),
)
SITE = "UBND xã Bắc Sơn - huyện Trảng Bom"
WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")
_ARTICLE = re.compile(r"^(?:/vi)?/news/(?:(print|savefile)/)?([^/]+)/[^/]*-(\d+)\.html$", re.I)
_LISTING = re.compile(r"^/vi/news/([^/]+)/(?:page-(\d+)/?)?$", re.I)


class NukevietSite(FamilySite):
    profile = PROFILE
    family = "nukeviet"

    def article_url(self, a: FArticle, twin: str = "") -> str:
        middle = f"{twin}/" if twin else ""
        return f"/vi/news/{middle}{a.category.slug}/{a.slug}-{a.aid}.html"

    def link_for(self, a: FArticle) -> str:
        url = self.article_url(a)
        return url[3:] if a.aid % 4 == 0 else url  # legacy path without the language

    def listing_url(self, cat: str, page: int = 1) -> str:
        return f"/vi/news/{cat}/" + (f"page-{page}" if page > 1 else "")

    def listing_urls(self) -> Iterator[str]:
        yield "/index.php"  # the home page; "/" cannot be a file name in --dump
        for cat in self.by_category:
            for page in range(1, self.pages_of(cat) + 1):
                yield self.listing_url(cat, page)

    def route(self, path: str, params: dict[str, str]):
        if path in ("/", "/index.php", "/vi/"):
            return ("home",)
        if path == "/robots.txt":
            return ("robots",)
        m = _ARTICLE.match(path)
        if m:
            a = self.by_id.get(int(m.group(3)))
            return ("article", a.aid, m.group(1) or "") if a else None
        m = _LISTING.match(path)
        if m and m.group(1) in self.by_category:
            page = int(m.group(2) or 1)
            if 1 <= page <= self.pages_of(m.group(1)):
                return ("listing", m.group(1), page)
        return None

    def counter_truth(self, online, today, month, total, article):
        return {"online_now": online, "visits_today": today, "visits_month": month,
                "visits_total": total}

    def render(self, key: tuple) -> str:
        kind = key[0]
        if kind == "robots":
            return "User-agent: *\r\nDisallow: /admin/\r\nDisallow: /vi/news/print/\r\n"
        if kind == "home":
            items = "".join(self._item(a) for a in self.newest[:10])
            return self._frame(SITE, "/", f'<div class="news_column">{items}</div>')
        if kind == "listing":
            return self._listing(key[1], key[2])
        if kind == "article":
            return self._article(self.by_id[key[1]], key[2])
        return self._frame("Lỗi 404", "/404", '<div class="alert alert-danger">Trang không tồn '
                           'tại.</div>')

    def _item(self, a: FArticle, href: str | None = None) -> str:
        return (f'<div class="news_column panel panel-default"><div class="panel-body"><h3>'
                f'<a href="{href or self.link_for(a)}">{render(a, a.title)}</a></h3>'
                f'<p><em class="fa fa-clock-o"></em> {a.published:%d/%m/%Y %H:%M}</p>'
                f'<div class="text-muted">{render(a, a.summary)}</div></div></div>\r\n')

    def _listing(self, cat: str, page: int) -> str:
        items = "".join(self._item(a) for a in self.page_items(cat, page))
        if page == 1 and cat == self.profile.categories[0].slug:
            items += self._item(self.articles[0], href=f"/vi/news/{cat}/thong-bao-tuyen-dung-"
                                f"{self.missing_id}.html")
        pages = self.pages_of(cat)
        pager = "".join(f'<li class="active"><a href="#">{n}</a></li>' if n == page else
                        f'<li><a href="{self.listing_url(cat, n)}">{n}</a></li>'
                        for n in range(1, pages + 1))
        return self._frame(f"{self._label(cat)} - {SITE}", self.listing_url(cat, page),
                           f'<div class="news_column">{items}</div><div class="text-center">'
                           f'<ul class="pagination">{pager}</ul></div>',
                           crumbs=[(self.listing_url(cat), self._label(cat))])

    def _label(self, cat: str) -> str:
        return next(c.label for c in self.profile.categories if c.slug == cat)

    def _article(self, a: FArticle, twin: str) -> str:
        url = self.article_url(a)
        when = f"{WEEKDAYS[a.published.weekday()]} - {a.published:%d/%m/%Y %H:%M}"
        views = dotted(a.view_count, ",") if a.view_count is not None else "0"
        schema_author = render(a, a.author) if a.author else ESC(SITE)
        byline = (f'<p class="h5 text-right"><strong>Tác giả bài viết: </strong>'
                  f'{render(a, a.byline)}</p>\r\n' if a.byline else "")
        others = "".join(f'<li><a href="{self.link_for(o)}">{render(o, o.title)}</a> <em>'
                         f'({o.published:%d/%m/%Y})</em></li>'
                         for o in self.by_category[a.category.slug][:5] if o is not a)
        inner = (
            '<div class="news_column panel panel-default" itemtype="http://schema.org/NewsArticle"'
            ' itemscope><div class="panel-body">\r\n'
            f'<h1 class="title margin-bottom-lg" itemprop="headline">{render(a, a.title)}</h1>\r\n'
            '<div class="hidden hide d-none" itemprop="author" itemtype="http://schema.org/Person"'
            f' itemscope><span itemprop="name">{schema_author}</span></div>\r\n'
            '<span class="hidden hide d-none" itemprop="datePublished">'
            f'{a.published.isoformat()}</span>\r\n'
            f'<div class="row margin-bottom-lg"><div class="col-md-12"><span class="h5">{when}'
            '</span></div><div class="col-md-12"><ul class="list-inline text-right">'
            f'<li><a class="dimgray" rel="nofollow" href="{self.article_url(a, "print")}">'
            '<em class="fa fa-print fa-lg">&nbsp;</em></a></li>'
            f'<li><a class="dimgray" rel="nofollow" href="{self.article_url(a, "savefile")}">'
            '<em class="fa fa-save fa-lg">&nbsp;</em></a></li></ul></div></div>\r\n'
            '<div class="clearfix"><div id="hometext" class="hometext m-bottom" '
            f'itemprop="description">{render(a, a.summary)}</div></div>\r\n'
            f'<div id="news-bodyhtml" class="bodytext margin-bottom-lg">\r\n{body_html(a)}</div>'
            f'\r\n{byline}<p class="h5 text-right"><strong>Nguồn tin: </strong>'
            f'{ESC(SITE)}</p>\r\n'
            f'<ul class="list-inline"><li><em class="fa fa-eye">&nbsp;</em> Lượt xem: {views}</li>'
            '</ul>\r\n</div></div>\r\n'
            '<div class="news_column panel panel-default"><div class="panel-body">'
            f'<p class="h3"><strong>Những tin cũ hơn</strong></p><ul class="related">{others}'
            '</ul></div></div>')
        title = "Trang chủ - Cổng thông tin điện tử huyện Trảng Bom" if a.wrong_title else \
            f"{a.title} - {self._label(a.category.slug)} - {SITE}"
        if twin:
            return (f"<!DOCTYPE html><html><head><title>{ESC(title)}</title></head><body>"
                    f"{inner}</body></html>")
        return self._frame(title, url, inner,
                           crumbs=[(self.listing_url(a.category.slug),
                                    self._label(a.category.slug))])

    def _frame(self, title: str, key: str, main: str,
               crumbs: list[tuple[str, str]] | None = None) -> str:
        online, today, month, total = counters_for(key)
        menu = "".join(f'<li><a href="{self.listing_url(c.slug)}">{ESC(c.label)}</a></li>'
                       for c in self.profile.categories)
        crumb = "".join(f'<li><a href="{h}"><span>{ESC(t)}</span></a></li>'
                        for h, t in crumbs or [])
        return (
            '<!DOCTYPE html><html lang="vi" xmlns="http://www.w3.org/1999/xhtml"><head>'
            f'<title>{ESC(title)}</title><meta charset="utf-8" />'
            '<meta name="generator" content="NukeViet v4.5" />'
            f'{filler("nukeviet:" + str(self.seed), self.chrome_kb * 800)}</head>\r\n'
            '<body><div class="body-bg"><div class="wraper"><header><div id="header">'
            f'<a title="{ESC(SITE)}" href="/"><span class="site_name">{ESC(SITE)}</span></a>'
            '</div></header>\r\n'
            f'<nav class="second-nav" id="menusite"><ul class="nav navbar-nav"><li><a href="/">'
            f'Trang nhất</a></li>{menu}</ul></nav>\r\n'
            '<section><div class="breadcrumbs-wrap"><ul class="breadcrumbs list-none">'
            f'<li><a href="/"><span>Trang chủ</span></a></li>{crumb}</ul></div>\r\n'
            f'<div class="row"><div class="col-md-16">{main}</div>\r\n'
            '<div class="col-md-8"><div class="panel panel-primary"><div class="panel-heading">'
            'Thống kê</div><div class="panel-body"><ul class="counter list-none display-table">'
            f'<li><span><em class="fa fa-bolt fa-lg fa-horizon"></em>Đang truy cập</span>'
            f'<span>{online}</span></li>'
            f'<li><span><em class="fa fa-filter fa-lg fa-horizon"></em>Hôm nay</span>'
            f'<span>{dotted(today, ",")}</span></li>'
            f'<li><span><em class="fa fa-calendar-o fa-lg fa-horizon"></em>Tháng hiện tại</span>'
            f'<span>{dotted(month, ",")}</span></li>'
            f'<li><span><em class="fa fa-bars fa-lg fa-horizon"></em>Tổng lượt truy cập</span>'
            f'<span>{dotted(total, ",")}</span></li></ul></div></div></div></div></section>\r\n'
            f'<footer id="footer"><p>© {ESC(SITE)}. Địa chỉ: ấp 1, xã Bắc Sơn</p></footer>'
            '</div></div></body></html>\r\n')


SITE_CLASS = NukevietSite
