"""Vietnamese text for the replica: titles, summaries, bodies, names, and the encoding traps.

Everything here is plain NFC text; `render_text` turns it into the HTML a real QNP page would
carry (NFD, named/numeric entities, an entity followed by a combining mark). The ground truth
that tests compare against is always the NFC text.
"""

from __future__ import annotations

import html
import random
import re
import unicodedata
from html.entities import codepoint2name

# (title template, summary template) per category id. Slots: {huyen} district name, {xa} a
# commune ("xã Hoành Mô"), {Xa} the same capitalised, {nam} the article's year, {thang} month,
# {n} a small ordinal. Both old and new tone placement occur on real sites (uỷ/ủy, hoà/hòa).
TOPICS: dict[int, list[tuple[str, str]]] = {
    82: [
        ("Hội nghị Ban Chấp hành Đảng bộ huyện lần thứ {n}",
         "Ban Chấp hành Đảng bộ huyện {huyen} đã tổ chức hội nghị lần thứ {n}"),
        ("Huyện ủy {huyen} sơ kết công tác 6 tháng đầu năm {nam}",
         "Huyện ủy {huyen} tổ chức hội nghị sơ kết công tác xây dựng Đảng 6 tháng đầu năm {nam}"),
        ("{Xa} tổ chức Ngày hội Đại đoàn kết toàn dân tộc",
         "{xa} đã tổ chức Ngày hội Đại đoàn kết toàn dân tộc tại nhà văn hoá thôn"),
        ("Đoàn công tác của tỉnh kiểm tra tiến độ dự án tại {xa}",
         "đoàn công tác của tỉnh đã kiểm tra tiến độ thi công các dự án trên địa bàn {xa}"),
        ("Kỳ họp thứ {n} HĐND huyện {huyen} khóa XX",
         "HĐND huyện {huyen} khóa XX đã khai mạc kỳ họp thứ {n}"),
        ("Lãnh đạo huyện tiếp xúc cử tri {xa}",
         "lãnh đạo huyện {huyen} đã tiếp xúc, lắng nghe ý kiến của cử tri {xa}"),
        ("Trao Huy hiệu Đảng đợt {thang}/{nam}",
         "Huyện ủy {huyen} đã tổ chức trao Huy hiệu Đảng cho các đảng viên lão thành"),
    ],
    83: [
        ("{huyen} đẩy mạnh phát triển vùng trồng quế, hồi",
         "huyện {huyen} tiếp tục mở rộng diện tích trồng quế, hồi theo hướng hàng hoá"),
        ("Nông dân {xa} thu hoạch dong riềng",
         "bà con nông dân {xa} đang tập trung thu hoạch dong riềng vụ {nam}"),
        ("Miến dong {huyen} vào mùa sản xuất Tết",
         "các cơ sở sản xuất miến dong {huyen} đang tăng công suất để phục vụ thị trường Tết"),
        ("Xây dựng nông thôn mới kiểu mẫu tại {xa}",
         "{xa} đang tích cực hoàn thiện các tiêu chí xã nông thôn mới kiểu mẫu năm {nam}"),
        ("Giải ngân vốn đầu tư công năm {nam} đạt khá",
         "tỷ lệ giải ngân vốn đầu tư công của huyện {huyen} năm {nam} đạt khá so với kế hoạch"),
        ("Phát triển sản phẩm OCOP gắn với du lịch cộng đồng",
         "huyện {huyen} chú trọng phát triển sản phẩm OCOP gắn với du lịch cộng đồng"),
        ("Thu ngân sách tháng {thang}/{nam} của huyện {huyen}",
         "tổng thu ngân sách nhà nước trên địa bàn huyện {huyen} tháng {thang} ước đạt kế hoạch"),
    ],
    84: [
        ("Khai giảng năm học {nam}-{nam1} tại {xa}",
         "các trường học trên địa bàn {xa} đã long trọng tổ chức lễ khai giảng năm học mới"),
        ("Ngày hội văn hoá các dân tộc huyện {huyen} năm {nam}",
         "Ngày hội văn hoá các dân tộc Tày, Dao, Sán Chỉ, Hoa huyện {huyen} đã khai mạc"),
        ("Trao quà Tết cho hộ nghèo {xa}",
         "đoàn công tác của huyện đã trao quà Tết cho các hộ nghèo, gia đình chính sách {xa}"),
        ("Giải bóng đá thanh niên huyện {huyen} năm {nam}",
         "giải bóng đá thanh niên huyện {huyen} năm {nam} đã khép lại sau 10 ngày thi đấu"),
        ("Khám sàng lọc miễn phí cho người dân {xa}",
         "Trung tâm Y tế huyện đã tổ chức khám sàng lọc miễn phí cho người dân {xa}"),
        ("Lễ hội Tiên Công {xa} năm {nam}",
         "Lễ hội Tiên Công {xa} đã thu hút đông đảo Nhân dân và du khách tham dự"),
    ],
    85: [
        ("Ra quân huấn luyện dân quân tự vệ năm {nam}",
         "Ban CHQS huyện {huyen} đã tổ chức lễ ra quân huấn luyện dân quân tự vệ năm {nam}"),
        ("Lễ giao nhận quân năm {nam}",
         "huyện {huyen} đã tổ chức lễ giao nhận quân năm {nam} an toàn, đúng quy định"),
        ("Tuần tra song phương biên giới tại {xa}",
         "lực lượng Biên phòng đã phối hợp tổ chức tuần tra song phương trên tuyến biên giới {xa}"),
        ("Diễn tập khu vực phòng thủ huyện {huyen}",
         "huyện {huyen} đã tổ chức thành công diễn tập khu vực phòng thủ năm {nam}"),
        ("Công an huyện bảo đảm an ninh trật tự dịp Tết",
         "Công an huyện {huyen} triển khai đồng bộ các biện pháp bảo đảm an ninh trật tự"),
    ],
    86: [
        ("Thông báo tuyển dụng viên chức năm {nam}",
         "UBND huyện {huyen} thông báo tuyển dụng viên chức sự nghiệp giáo dục năm {nam}"),
        ("Thông báo lịch tiếp công dân tháng {thang}/{nam}",
         "Thường trực Huyện ủy, UBND huyện {huyen} thông báo lịch tiếp công dân định kỳ"),
        ("Thông báo kết quả lựa chọn nhà thầu gói thầu số {n}",
         "Ban Quản lý dự án đầu tư xây dựng huyện {huyen} thông báo kết quả lựa chọn nhà thầu"),
        ("Thông báo tạm ngừng cấp điện tại {xa}",
         "Điện lực {huyen} thông báo tạm ngừng cấp điện để bảo dưỡng lưới điện tại {xa}"),
        ("Thông báo công khai quyết toán ngân sách năm {nam}",
         "UBND huyện {huyen} công khai số liệu quyết toán ngân sách địa phương năm {nam}"),
    ],
    87: [
        ("UBND huyện chỉ đạo triển khai kế hoạch phòng, chống thiên tai năm {nam}",
         "UBND huyện {huyen} đã ban hành kế hoạch phòng, chống thiên tai năm {nam}"),
        ("Chủ tịch UBND huyện làm việc với {xa}",
         "Chủ tịch UBND huyện {huyen} đã có buổi làm việc với Đảng uỷ, UBND {xa}"),
        ("Tăng cường công tác phòng cháy, chữa cháy rừng mùa khô",
         "UBND huyện {huyen} yêu cầu các xã, thị trấn tăng cường phòng cháy, chữa cháy rừng"),
        ("Đẩy nhanh tiến độ giải phóng mặt bằng các dự án trọng điểm",
         "lãnh đạo huyện {huyen} chỉ đạo đẩy nhanh tiến độ giải phóng mặt bằng các dự án"),
        ("Triển khai nhiệm vụ cải cách hành chính năm {nam}",
         "huyện {huyen} xác định cải cách hành chính là khâu đột phá trong năm {nam}"),
    ],
}

SENTENCES: list[str] = [
    "Thời gian qua, huyện {huyen} đã tập trung chỉ đạo các xã, thị trấn đẩy mạnh phát triển kinh "
    "tế - xã hội gắn với bảo đảm quốc phòng - an ninh.",
    "Năm {nam}, toàn huyện có {so} hộ dân tham gia trồng dong riềng với tổng diện tích trên "
    "{so2} ha.",
    "Đến nay, {xa} đã hoàn thành {pct}% kế hoạch trồng rừng năm {nam}.",
    "Tham dự có {nguoi}, {chucvu}; lãnh đạo các phòng, ban, đơn vị của huyện.",
    "Phát biểu tại buổi làm việc, {nguoi}, {chucvu} đề nghị các đơn vị tiếp tục rà soát, đánh "
    "giá kết quả thực hiện nhiệm vụ.",
    "Ủy ban nhân dân huyện yêu cầu các cơ quan chuyên môn phối hợp chặt chẽ với Uỷ ban nhân dân "
    "các xã trong quá trình triển khai.",
    "Dịp này, Ban tổ chức đã trao {so} suất quà cho các hộ gia đình có hoàn cảnh khó khăn, mỗi "
    "suất trị giá 500.000 đồng.",
    "Chương trình góp phần tăng cường tình đoàn kết, hoà hợp giữa các dân tộc Tày, Dao, Sán Chỉ, "
    "Hoa trên địa bàn.",
    "Các lực lượng chức năng đã tổ chức tuần tra, kiểm soát {so} lượt trên tuyến biên giới.",
    "Theo báo cáo, tổng thu ngân sách nhà nước trên địa bàn ước đạt {so} tỷ đồng, bằng {pct}% "
    "dự toán.",
    "Huyện cũng chú trọng phát triển các sản phẩm OCOP như miến dong, quế, hồi, chè {huyen}.",
    "Bà con nhân dân trong xã đã hiến hơn {so} m² đất để mở rộng đường giao thông nông thôn.",
    "Trong năm học {nam}-{nam1}, toàn huyện có {so} học sinh ở các cấp học.",
    "Ngành Y tế huyện đã tổ chức khám sàng lọc cho {so} người dân tại {xa}.",
    "Hội nghị đã thảo luận, thống nhất các giải pháp trọng tâm cho thời gian tới.",
    "Lãnh đạo huyện ghi nhận, biểu dương những kết quả mà {xa} đã đạt được.",
    "Đồng thời, đề nghị địa phương tiếp tục vận động Nhân dân trồng rừng gỗ lớn, bảo vệ rừng đầu "
    "nguồn.",
    "Người dân được hướng dẫn kỹ thuật trồng, chăm sóc cây quế và cây hồi theo hướng hữu cơ.",
    "Ban Chỉ huy Quân sự huyện đã tổ chức huấn luyện cho {so} chiến sĩ dân quân.",
    "Lực lượng Biên phòng phối hợp với chính quyền {xa} tuyên truyền Luật Biên giới quốc gia "
    "cho bà con.",
    "Thông qua hoạt động này nhằm nâng cao nhận thức của cán bộ, đảng viên và Nhân dân.",
    "Trước đó, huyện đã ban hành kế hoạch triển khai chi tiết, phân công nhiệm vụ cụ thể cho "
    "từng đơn vị.",
    "Hiện nay, tiến độ thi công công trình đã đạt khoảng {pct}% khối lượng.",
    "Để hoàn thành mục tiêu đề ra, huyện xác định cải cách hành chính là khâu đột phá.",
    "Các tiết mục văn nghệ đặc sắc mang đậm bản sắc văn hoá dân tộc đã được biểu diễn.",
    "Kết thúc đợt kiểm tra, đoàn đã chỉ ra một số tồn tại, hạn chế và đề nghị khắc phục.",
    "Dự kiến, công trình sẽ được bàn giao, đưa vào sử dụng trong quý IV năm {nam}.",
    "Giải đấu thu hút {so} vận động viên đến từ các xã, thị trấn tham gia.",
    "Toàn huyện hiện có {so} hội viên nông dân tham gia các mô hình kinh tế tập thể.",
    "Chủ tịch UBND huyện yêu cầu tuyệt đối không để xảy ra cháy rừng trong mùa hanh khô.",
    "Các đơn vị cần chủ động xây dựng phương án ứng phó với mưa lũ, sạt lở đất.",
    "Nhiều tuyến đường liên thôn, liên xã đã được cứng hoá, tạo thuận lợi cho việc đi lại, giao "
    "thương.",
    "Việc thu hút đầu tư vào lĩnh vực du lịch sinh thái, du lịch cộng đồng được quan tâm.",
    "Lượng khách du lịch đến {huyen} trong năm ước đạt {so} lượt.",
    "Các hộ dân được hỗ trợ giống, phân bón để mở rộng diện tích trồng dong riềng.",
    "Công tác hoà giải ở cơ sở được duy trì, góp phần giữ vững an ninh chính trị tại {xa}.",
]
# Sentences that contain "trồng": an article in the "mixed" style always gets one, so the
# `tr&ocirc;̀ng` trap (entity followed by a combining mark) is guaranteed to appear.
TRONG_SENTENCES = [s for s in SENTENCES if "trồng" in s]

CAPTIONS = [
    "Quang cảnh hội nghị.", "Các đại biểu dự buổi làm việc.", "Lãnh đạo huyện trao quà cho "
    "các hộ gia đình.", "Bà con thu hoạch dong riềng.", "Đoàn công tác kiểm tra thực tế tại "
    "{xa}.", "Tiết mục văn nghệ chào mừng.", "Lực lượng dân quân tham gia huấn luyện.",
]
SURNAMES = ["Hoàng", "Lục", "Vi", "Nông", "Lỷ", "Tằng", "Chìu", "Nguyễn", "Trần", "Đặng",
            "La", "Dương", "Phạm", "Lê"]
MIDDLES = ["Văn", "Thị", "Đức", "Minh", "Thanh", "Ngọc", "A", "Quang"]
GIVEN = ["Hùng", "Thắng", "Hoa", "Lan", "Tùng", "Phúc", "Quý", "Hải", "Dũng", "Hạnh", "Sáng",
         "Coóng", "Pao", "Tuấn", "Hương", "Bình"]
POSITIONS = ["Phó Bí thư Thường trực Huyện ủy", "Chủ tịch UBND huyện", "Phó Chủ tịch UBND huyện",
             "Trưởng Ban Tuyên giáo Huyện ủy", "Chủ tịch UBND xã", "Trưởng phòng Nông nghiệp "
             "và PTNT huyện", "Chỉ huy trưởng Ban CHQS huyện", "Trưởng Công an huyện"]
# By-lines as they appear as the last short paragraph; "&" exercises escaping.
AUTHORS = ["Thu Hằng", "Minh Đức", "Lan Anh", "Hoàng Quý", "Vi Hùng", "Tuấn Anh", "Ngọc Mai",
           "Phương Thảo", "Đức Thắng", "Bài, ảnh: Lục Thị Hoa", "Hải Yến (TTTT&VH huyện)",
           "Trung tâm TT-VH huyện"]
EXTERNAL_NEWS = [
    "Sở Nông nghiệp và PTNT triển khai kế hoạch trồng rừng năm {nam}",
    "Sở Giáo dục và Đào tạo tổng kết năm học {nam}-{nam1}",
    "Sở Y tế tăng cường phòng, chống dịch bệnh mùa đông xuân",
    "Sở Văn hóa và Thể thao tổ chức Liên hoan nghệ thuật quần chúng",
    "Sở Thông tin và Truyền thông hướng dẫn chuyển đổi số cấp xã",
]


def fill(template: str, rng: random.Random, ctx: dict[str, str]) -> str:
    """Fill a template; random slots are drawn only when the template uses them."""
    values = dict(ctx)
    if "{so" in template:
        values["so"] = str(rng.randrange(12, 2500))
        values["so2"] = str(rng.randrange(50, 900))
    if "{pct}" in template:
        values["pct"] = str(rng.randrange(55, 100))
    if "{nguoi}" in template:
        values["nguoi"] = "đồng chí " + person(rng)
        values["chucvu"] = rng.choice(POSITIONS)
    if "xa" not in values and ("{xa}" in template or "{Xa}" in template):
        values["xa"] = rng.choice(ctx["communes"].split("|"))
    if "xa" in values:
        values["Xa"] = values["xa"][0].upper() + values["xa"][1:]
    return template.format(**values)


def person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVEN)}"


def make_body(rng: random.Random, ctx: dict[str, str], *, need_trong: bool,
              image_base: str) -> tuple[tuple[str, str], ...]:
    """Body blocks in order: ("p", text), ("img", src), ("caption", text)."""
    blocks: list[tuple[str, str]] = []
    n_par = rng.randint(3, 8)
    trong_at = rng.randrange(n_par) if need_trong else -1
    for i in range(n_par):
        picks = rng.sample(SENTENCES, rng.randint(2, 4))
        if i == trong_at:
            picks[0] = rng.choice(TRONG_SENTENCES)
        blocks.append(("p", " ".join(fill(s, rng, ctx) for s in picks)))
        if i < n_par - 1 and rng.random() < 0.22:
            blocks.append(("img", f"{image_base}_{len(blocks)}.jpg"))
            blocks.append(("caption", fill(rng.choice(CAPTIONS), rng, ctx)))
    return tuple(blocks)


_MARKS = re.compile(r"[\u0300-\u036f]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def slugify(text: str) -> str:
    """ASCII slug as QNP's `&title=` suffix uses: marks dropped, đ→d (it has no decomposition)."""
    ascii_text = _MARKS.sub("", unicodedata.normalize("NFD", text)).replace("đ", "d")
    return _NON_ALNUM.sub("-", ascii_text.replace("Đ", "D").lower()).strip("-")


def _entity(ch: str) -> str:
    name = codepoint2name.get(ord(ch))
    return f"&{name};" if name else f"&#{ord(ch)};"


def render_text(text: str, style: str, rng: random.Random | None = None) -> str:
    """HTML for NFC `text` in one encoding style (see module docstring).

    "nfc" and "nfd" are plain escaped text; "entities" turns about half of the non-ASCII letters
    into named or numeric entities; "mixed" does the same but writes a doubly marked letter as
    entity + combining mark (ồ → `&ocirc;̀`), which only NFC after entity decoding repairs.
    """
    escaped = html.escape(text, quote=False)
    if style == "nfc":
        return escaped
    if style == "nfd":
        return unicodedata.normalize("NFD", escaped)
    assert rng is not None, "entity styles need the article's rng"
    mixed = style == "mixed"

    def encode(match: re.Match[str]) -> str:
        ch = match.group()
        if mixed and len(decomposed := unicodedata.normalize("NFD", ch)) == 3:
            return _entity(unicodedata.normalize("NFC", decomposed[:2])) + decomposed[2]
        return _entity(ch) if rng.random() < 0.5 else ch

    return _NON_ASCII.sub(encode, escaped)
