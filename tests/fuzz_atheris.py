"""Coverage-guided fuzzing (atheris, libFuzzer) of extraction and date parsing.

    python -m tests.fuzz_atheris -runs=2000 -seed=1     # a short bounded run (make test)
    python -m tests.fuzz_atheris -max_total_time=300    # a long one (make fuzz)

Any libFuzzer flag works (``-artifact_prefix=DIR/`` says where a crashing input is saved).
Each input drives one page: a family, a mix of real portal fragments (dates, counters,
broken tags; the fragments of the hypothesis tests in ``tests/test_fuzz_extract.py``) and
fuzzer-chosen text, and some raw bytes with a declared charset. The properties are the
hypothesis tests' own: no exception escapes ``extract``, ``decode_html``, ``find_date`` or
``parse_date``; every text extraction returns is NFC; a date carries ``+07:00`` or is empty.
A broken property raises, and libFuzzer saves the input and exits non-zero.
"""

from __future__ import annotations

import sys
import unicodedata

import atheris

# Instrumented for coverage feedback: our extraction code (not its libraries).
with atheris.instrument_imports(include=["crawler.extract", "crawler.indexing"]):
    from crawler.extract import extract
    from crawler.extract.dates import find_date, parse_date
    from crawler.indexing import decode_html

from tests.test_fuzz_extract import FIXED_NOW, FRAGMENTS, _texts  # noqa: E402

FAMILIES = ["qnp", "tandan", "liferay", "nukeviet", "lacviet", "generic"]
CHARSETS = ["", "utf-8", "iso-8859-1", "windows-1258", "windows-1252", "bogus-charset"]


def page_from(fdp: atheris.FuzzedDataProvider) -> str:
    parts = []
    for _ in range(fdp.ConsumeIntInRange(0, 40)):
        if fdp.ConsumeBool():
            parts.append(fdp.PickValueInList(FRAGMENTS))
        else:
            parts.append(fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 30)))
    return "".join(parts)


def check_dates(text: str) -> None:
    for found in (find_date(text, FIXED_NOW), parse_date(text, FIXED_NOW)):
        if found is not None and found.iso is not None and not found.iso.endswith("+07:00"):
            raise AssertionError(f"date without +07:00: {found!r} from {text!r}")


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    family = fdp.PickValueInList(FAMILIES)
    nid = fdp.ConsumeIntInRange(0, 10**9)
    page = page_from(fdp)
    record = extract(f"http://binhlieu.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?nid={nid}",
                     page, family=family).to_dict()
    for text in _texts({k: v for k, v in record.items() if k != "failures"}):
        if not unicodedata.is_normalized("NFC", text):
            raise AssertionError(f"not NFC: {text!r}")
    published = record.get("published_at")
    if published is not None and not published.endswith("+07:00"):
        raise AssertionError(f"published_at without +07:00: {published!r}")
    check_dates(page)
    charset = fdp.PickValueInList(CHARSETS)
    body = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 400))
    text = decode_html(body, f"text/html; charset={charset}" if charset else "text/html")
    if not isinstance(text, str):
        raise AssertionError("decode_html did not return text")


def main(argv: list[str] | None = None) -> None:
    atheris.Setup(argv or sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
