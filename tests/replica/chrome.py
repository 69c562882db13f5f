"""SharePoint 2013 chrome of a QNP portal: head, hidden form fields, banner, menu, sidebar, footer.

The chrome is what makes these pages heavy (~60 KB, a quarter of it `__VIEWSTATE`) and what an
extractor must see through. It is built once per site as pre-compressed chunks; only the title,
the form action and the visit counters differ between pages. The viewstate comes from a small
pool of variants, so pages differ there too without per-page compression.
"""

from __future__ import annotations

import base64
import html
import random

from . import text
from .chunks import Chunk, chunk
from .model import CATEGORIES, Article, Portal
from .pages import title_html

ESC = html.escape
# Off-host links a crawler must not follow (sidebar, menu, footer).
EXTERNAL_SITES = [
    ("http://www.quangninh.gov.vn/", "Cổng TTĐT tỉnh Quảng Ninh"),
    ("http://www.chinhphu.vn/", "Cổng TTĐT Chính phủ"),
    ("http://dichvucong.quangninh.gov.vn/", "Dịch vụ công trực tuyến Quảng Ninh"),
    ("http://baoquangninh.com.vn/", "Báo Quảng Ninh"),
    ("http://www.qtv.vn/", "Trung tâm Truyền thông tỉnh"),
]
VIEWSTATE_VARIANTS = 8
# SharePoint's script-on-demand registrations; realistic filler that gives the chrome its weight.
_SOD_FILES = ["sp.core.js", "sp.runtime.js", "sp.js", "sp.ui.dialog.js", "core.js", "menu.js",
              "mQuery.js", "callout.js", "clienttemplates.js", "sharing.js", "suitelinks.js",
              "clientrenderer.js", "srch.resources.resx", "ms.rte.js", "sp.search.js",
              "followingcommon.js", "profilebrowserscriptres.resx", "userprofile", "cui.js",
              "inplview", "ribbon", "sp.publishing.resources.resx", "WPAdderClass", "dragdrop.js"]


def page_head(title: str) -> str:
    """Per-page start of the document, up to the title."""
    return ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n'
            '<html dir="ltr" lang="vi-VN" xmlns:o="urn:schemas-microsoft-com:office:office">\r\n'
            '<head><meta http-equiv="X-UA-Compatible" content="IE=10" />'
            '<meta name="GENERATOR" content="Microsoft SharePoint" />'
            '<meta http-equiv="Content-type" content="text/html; charset=utf-8" />'
            '<meta http-equiv="Expires" content="0" />\r\n'
            f'<title>\r\n\t{ESC(title, quote=False)}\r\n</title>')


def form_open(action: str) -> str:
    return (f'<form method="post" action="{ESC(action)}" '
            'onsubmit="javascript:return WebForm_OnSubmit();" id="aspnetForm">\r\n')


def counters_html(today: int, total: int) -> bytes:
    return (f'<li><span class="label">Hôm nay:</span> <span class="value">{today}</span></li>'
            f'<li><span class="label">Đã truy cập:</span> <span class="value">{total}</span>'
            '</li>').encode()


class Chrome:
    """The shared chunks of one site; `around(...)` frames a page's own HTML with them."""

    def __init__(self, portal: Portal, featured: list[Article], seed: int, chrome_kb: int):
        self.portal = portal
        rng = random.Random(f"chrome:{seed}:{portal.key}")
        self.rev = base64.b16encode(rng.randbytes(8)).decode().lower()
        viewstate_chars = chrome_kb * 1024 // 4
        self.viewstates = [chunk(self._hidden_fields(rng, viewstate_chars), 6)
                           for _ in range(VIEWSTATE_VARIANTS)]
        head = self._head_tail()
        top_parts = [self._banner_and_menu()]
        sidebar_a = self._sidebar_until_counters(featured)
        sidebar_b = self._sidebar_rest_and_footer()
        # ~700 bytes of per-page head and form tag are not in the chunks measured here.
        weight = (len(head) + len(top_parts[0]) + len(sidebar_a) + len(sidebar_b) + 700
                  + len(self.viewstates[0].raw))
        top_parts.insert(0, self._filler(rng, chrome_kb * 1024 - weight))
        self.head = chunk(head, 9)
        self.top = chunk("".join(top_parts), 9)
        self.sidebar_a = chunk(sidebar_a, 9)
        self.sidebar_b = chunk(sidebar_b, 9)

    def around(self, title: str, action: str, content: Chunk, variant: int
               ) -> tuple[tuple[Chunk, ...], tuple[Chunk, ...]]:
        """(chunks before the counters, chunks after them) of a full page."""
        before = (chunk(page_head(title)), self.head, chunk(form_open(action)),
                  self.viewstates[variant % VIEWSTATE_VARIANTS], self.top, content,
                  self.sidebar_a)
        return before, (self.sidebar_b,)

    def _hidden_fields(self, rng: random.Random, chars: int) -> str:
        state = "/wEPDwUKMTY1NDU2MTA1Mg9kFgJmD2QWAgIBD2QWBAIBD2QWAgIF" + base64.b64encode(
            rng.randbytes(max(0, chars * 3 // 4 - 40))).decode()
        validation = "/wEdAA" + base64.b64encode(rng.randbytes(180)).decode()
        digest = "0x" + base64.b16encode(rng.randbytes(64)).decode()
        return ('<div class="aspNetHidden">\r\n'
                '<input type="hidden" name="_wpcmWpid" id="_wpcmWpid" value="" />\r\n'
                '<input type="hidden" name="wpcmVal" id="wpcmVal" value="" />\r\n'
                '<input type="hidden" name="MSOWebPartPage_PostbackSource" '
                'id="MSOWebPartPage_PostbackSource" value="" />\r\n'
                '<input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="" />\r\n'
                '<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="" />\r\n'
                f'<input type="hidden" name="__REQUESTDIGEST" id="__REQUESTDIGEST" '
                f'value="{digest},27 Jan 2022 03:16:00 -0000" />\r\n'
                f'<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{state}" />\r\n'
                '</div>\r\n<script type="text/javascript">\r\n//<![CDATA[\r\n'
                "var theForm = document.forms['aspnetForm'];\r\n"
                "if (!theForm) {\r\n    theForm = document.aspnetForm;\r\n}\r\n"
                "function __doPostBack(eventTarget, eventArgument) {\r\n"
                "    if (!theForm.onsubmit || (theForm.onsubmit() != false)) {\r\n"
                "        theForm.__EVENTTARGET.value = eventTarget;\r\n"
                "        theForm.__EVENTARGUMENT.value = eventArgument;\r\n"
                "        theForm.submit();\r\n    }\r\n}\r\n//]]>\r\n</script>\r\n"
                '<div class="aspNetHidden">\r\n<input type="hidden" name="__VIEWSTATEGENERATOR" '
                'id="__VIEWSTATEGENERATOR" value="BAB98CB3" />\r\n'
                '<input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" '
                f'value="{validation}" />\r\n</div>\r\n')

    def _head_tail(self) -> str:
        rev = self.rev
        return (f'<link rel="stylesheet" type="text/css" href="/_layouts/15/1066/styles/Themable/'
                f'corev15.css?rev={rev}" />\r\n'
                '<link rel="stylesheet" type="text/css" href="/_catalogs/masterpage/QNP/css/'
                'style.css" />\r\n'
                f'<script type="text/javascript" src="/_layouts/15/init.js?rev={rev}"></script>\r\n'
                f'<script type="text/javascript" src="/_layouts/15/1066/initstrings.js?rev={rev}">'
                '</script>\r\n'
                f'<script type="text/javascript" src="/_layouts/15/core.js?rev={rev}"></script>\r\n'
                '<script type="text/javascript" src="/_catalogs/masterpage/QNP/js/menu.js">'
                '</script>\r\n'
                '<link rel="shortcut icon" href="/_layouts/15/images/favicon.ico" '
                'type="image/vnd.microsoft.icon" />\r\n'
                '<script type="text/javascript">var _fV4UI = true; var _spPageContextInfo = '
                '{webServerRelativeUrl: "\\u002f", webAbsoluteUrl: "http:\\u002f\\u002f'
                f'{self.portal.host}", siteClientTag: "0$$15.0.4569.1000", currentLanguage: 1066, '
                'currentUICultureName: "vi-VN", pageListId: "{9d5b3c7e-1f4a-4d0b-9a7e-3c2b1d0e'
                '5f6a}", userId: 0, alertsEnabled: false, siteServerRelativeUrl: "\\u002f"};'
                '</script>\r\n</head>\r\n<body>\r\n'
                '<div id="imgPrefetch" style="display:none">\r\n'
                f'<img src="/_layouts/15/images/spcommon.png?rev={rev}" />\r\n</div>\r\n')

    def _filler(self, rng: random.Random, size: int) -> str:
        """Inline SharePoint scripts and hidden ribbon markup, about `size` bytes of it."""
        if size <= 0:
            return ""
        parts = ['<script type="text/javascript">\r\n//<![CDATA[\r\n']
        total = 0
        while total < size:
            name = rng.choice(_SOD_FILES)
            rev = base64.b64encode(rng.randbytes(15)).decode().replace("/", "_")
            line = (f'RegisterSod("{name}", "\\u002f_layouts\\u002f15\\u002f{name}?rev={rev}");'
                    f'RegisterSodDep("{name}", "{rng.choice(_SOD_FILES)}");\r\n')
            parts.append(line)
            total += len(line)
        parts.append('//]]>\r\n</script>\r\n<div id="s4-ribbonrow" style="display:none"></div>\r\n')
        return "".join(parts)

    def _banner_and_menu(self) -> str:
        name = self.portal.name
        cats = "".join(f'<li><a href="/Trang/Tin-tuc-su-kien.aspx?Cat={cid}">{ESC(label)}</a></li>'
                       for cid, label in CATEGORIES.items())
        return ('<div id="s4-workspace"><div id="s4-bodyContainer">\r\n<div class="top-bar">'
                '<a href="/_layouts/15/Authenticate.aspx?Source=%2FTrang%2FDefault%2Easpx">'
                'Đăng nhập</a></div>\r\n<div class="banner"><a href="/Trang/Default.aspx">'
                '<img src="/_catalogs/masterpage/QNP/images/banner.jpg" alt="banner" /></a>'
                f'<h1 class="site-name">CỔNG THÔNG TIN ĐIỆN TỬ HUYỆN {name.upper()}</h1>'
                '<div class="site-sub">TỈNH QUẢNG NINH</div></div>\r\n'
                '<div class="mega-menu"><ul class="menu-root">\r\n'
                '<li class="static"><a href="/Trang/Default.aspx">Trang chủ</a></li>\r\n'
                '<li class="static"><a href="/Trang/GioiThieu.aspx">Giới thiệu</a><ul class="sub">'
                '<li><a href="/Trang/GioiThieu.aspx">Tổng quan</a></li>'
                '<li><a href="/Trang/CoCauToChuc.aspx">Cơ cấu tổ chức</a></li>'
                '<li><a href="/Trang/LienHe.aspx">Liên hệ</a></li></ul></li>\r\n'
                '<li class="static"><a href="/Trang/Tin-tuc-su-kien.aspx?Cat=82">Tin tức - Sự '
                f'kiện</a><ul class="sub">{cats}</ul></li>\r\n'
                '<li class="static"><a href="/Trang/LichCongTac.aspx">Lịch công tác</a></li>\r\n'
                '<li class="static"><a href="/Trang/BanDo.aspx">Bản đồ</a></li>\r\n'
                '<li class="static"><a href="/Trang/TimKiem.aspx">Tìm kiếm</a></li>\r\n'
                '<li class="static"><a href="http://dichvucong.quangninh.gov.vn/">Dịch vụ công</a>'
                '</li>\r\n</ul></div>\r\n<div class="main-wrap"><div class="col-main">\r\n')

    def _sidebar_until_counters(self, featured: list[Article]) -> str:
        options = "".join(f'<option value="{cid}">{ESC(label)}</option>'
                          for cid, label in CATEGORIES.items())
        rng = random.Random(f"sidebar:{self.portal.key}")
        years = {"nam": "2024", "nam1": "2025"}
        ext_news = "".join(
            f'<li><a href="http://www.quangninh.gov.vn/So/Trang/ChiTietTinTuc.aspx?nid='
            f'{rng.randrange(10000, 99999)}">{ESC(text.fill(t, rng, years))}</a></li>'
            for t in text.EXTERNAL_NEWS)
        focus = "".join(f'<li><a href="{a.url}">{title_html(a)}</a></li>' for a in featured)
        sites = "".join(f'<option value="{url}">{ESC(label)}</option>'
                        for url, label in EXTERNAL_SITES)
        return ('</div>\r\n<div class="col-right">\r\n'
                '<div class="widget search-widget"><h3 class="widget-title">'
                'Tìm kiếm theo chuyên mục - nội dung - ngày tháng</h3><div class="widget-body">'
                '<select name="ctl00$PlaceHolderRight$ddlChuyenMuc"><option value="">-- Chọn '
                f'chuyên mục --</option>{options}</select>'
                '<input type="text" name="ctl00$PlaceHolderRight$txtNoiDung" title="Nội dung" />'
                '<input type="text" name="ctl00$PlaceHolderRight$txtTuNgay" title="Từ ngày" />'
                '<input type="text" name="ctl00$PlaceHolderRight$txtDenNgay" title="Đến ngày" />'
                '<a class="btn-search" href="/Trang/TimKiem.aspx?k=&amp;cat=&amp;from=&amp;to=">'
                'Tìm kiếm</a></div></div>\r\n'
                '<div class="widget"><h3 class="widget-title">Tin sở ban ngành</h3>'
                f'<ul class="list">{ext_news}</ul></div>\r\n'
                '<div class="widget"><h3 class="widget-title">Bản đồ</h3>'
                '<a href="/Trang/BanDo.aspx"><img alt="Bản đồ hành chính" '
                'src="/PublishingImages/BanDo/ban-do-hanh-chinh.jpg" /></a></div>\r\n'
                '<div class="widget"><h3 class="widget-title">Lịch công tác</h3>'
                '<a href="/Trang/LichCongTac.aspx">Xem lịch công tác tuần</a></div>\r\n'
                '<div class="widget"><h3 class="widget-title">Tin tiêu điểm</h3>'
                f'<ul class="list focus">{focus}</ul></div>\r\n'
                '<div class="widget"><h3 class="widget-title">Website liên kết</h3>'
                '<select onchange="window.open(this.value, \'_blank\')"><option value="">-- Chọn '
                f'website --</option>{sites}</select></div>\r\n'
                '<div class="widget counter"><h3 class="widget-title">Thống kê truy cập</h3>'
                '<ul class="counter">')

    def _sidebar_rest_and_footer(self) -> str:
        portal = self.portal
        logos = "".join(f'<a href="{url}" title="{ESC(label)}">{ESC(label)}</a> '
                        for url, label in EXTERNAL_SITES[:3])
        return ('</ul></div>\r\n</div></div>\r\n'
                f'<div class="footer"><div class="links">{logos}</div>'
                f'<p>Cơ quan chủ quản: Ủy ban nhân dân huyện {ESC(portal.name)}</p>'
                f'<p>Địa chỉ: {ESC(portal.address)}</p>'
                '<p>Điện thoại: 0203.3878.xxx - Email: vanphong@quangninh.gov.vn</p>'
                f'<p>Ghi rõ nguồn "{ESC(portal.site_name)}" khi phát hành lại thông tin từ '
                'website này.</p></div>\r\n</div></div>\r\n'
                '<script type="text/javascript">\r\n//<![CDATA[\r\n'
                "function WebForm_OnSubmit() {UpdateFormDigest('\\u002f', 1440000);"
                "return true;}\r\n//]]>\r\n</script>\r\n</form>\r\n</body>\r\n</html>\r\n")

