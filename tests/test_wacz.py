"""CDXJ indexes (one per WARC, written when the file closes) and WACZ packages: layout,
digests, the index pointing at the right records, and webrecorder's own ``wacz validate``."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from archive import iter_records, read_record_at
from tests.archive_crawl import cli, crawl_replica
from tests.replica import FOUNDING_NID

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    out = tmp_path_factory.mktemp("wacz-crawl")
    # Small files, so the crawl rotates and several indexes are written.
    crawl_replica(out, 12, "-s", "WARC_MAX_SIZE=120000")
    return out


def parse(line: str) -> tuple[str, str, dict]:
    key, ts, data = line.split(" ", 2)
    return key, ts, json.loads(data)


def test_every_closed_warc_has_its_cdxj_index(crawled):
    warcs = sorted((crawled / "warc").glob("*.warc.gz"))
    assert len(warcs) >= 3
    for warc in warcs:
        index = crawled / "indexes" / warc.name.replace(".warc.gz", ".cdxj")
        lines = index.read_text(encoding="utf-8").splitlines()
        assert lines == sorted(lines)
        responses = {r.record_id: r for r in iter_records(warc) if r.rec_type == "response"}
        assert len(lines) == len(responses)
        for key, ts, data in map(parse, lines):
            assert data["filename"] == warc.name
            rec = read_record_at(warc, int(data["offset"]))
            assert rec.length == int(data["length"]) and rec.target_uri == data["url"]
            assert rec.warc_headers["WARC-Payload-Digest"] == data["digest"]
            assert ts == rec.date[:19].replace("-", "").replace(":", "").replace("T", "")
            assert key.startswith("1,0,0,127:") and str(rec.status) == data["status"]


def test_index_command_rebuilds_the_same_indexes(crawled, tmp_path):
    result = cli("index", "--db", str(crawled / "archive.db"), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for built in (crawled / "indexes").glob("*.cdxj"):
        assert (tmp_path / built.name).read_bytes() == built.read_bytes()


def test_wacz_package_layout_and_digests(crawled, tmp_path):
    target = tmp_path / "crawl.wacz"
    result = cli("wacz", "--db", str(crawled / "archive.db"), "-o", str(target))
    assert result.returncode == 0, result.stderr
    warcs = sorted((crawled / "warc").glob("*.warc.gz"))
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        assert sorted(names) == sorted(
            [f"archive/{w.name}" for w in warcs]
            + ["indexes/index.cdx", "pages/pages.jsonl", "datapackage.json",
               "datapackage-digest.json"])
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        package_bytes = zf.read("datapackage.json")
        package = json.loads(package_bytes)
        assert package["wacz_version"] == "1.1.1" and package["profile"] == "data-package"
        assert package["mainPageUrl"].endswith("/Trang/Default.aspx")
        digest = json.loads(zf.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(package_bytes).hexdigest()
        resources = {r["path"]: r for r in package["resources"]}
        assert set(resources) == set(names) - {"datapackage.json", "datapackage-digest.json"}
        for path, res in resources.items():
            data = zf.read(path)
            assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), path
            assert res["bytes"] == len(data)
        for warc in warcs:
            assert zf.read(f"archive/{warc.name}") == warc.read_bytes()
        merged = sorted(line for p in (crawled / "indexes").glob("*.cdxj")
                        for line in p.read_text(encoding="utf-8").splitlines())
        assert zf.read("indexes/index.cdx").decode().splitlines() == merged
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()]
    assert pages[0] == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    founding = [p for p in pages[1:] if p["url"].endswith(f"nid={FOUNDING_NID}")]
    assert founding and founding[0]["title"] == "Họp Ban thường vụ HU"
    assert all(p["ts"].endswith("Z") for p in pages[1:])
    assert len(pages) - 1 == 13  # 12 generated articles + the founding one

    validate = Path(sys.executable).parent / "wacz"
    ok = subprocess.run([validate, "validate", "-f", str(target)], capture_output=True,
                        text=True)
    assert ok.returncode == 0 and "is valid" in ok.stdout, ok.stdout + ok.stderr
    # a tampered package is refused by the same validator
    bad = tmp_path / "bad.wacz"
    with zipfile.ZipFile(target) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pages/pages.jsonl":
                data = data.replace("Họp".encode(), b"Hop")
            dst.writestr(info, data)
    refused = subprocess.run([validate, "validate", "-f", str(bad)], capture_output=True,
                             text=True)
    assert refused.returncode != 0 and "invalid" in refused.stdout


def test_wacz_of_an_unknown_crawl_is_refused(crawled, tmp_path):
    result = cli("wacz", "--db", str(crawled / "archive.db"), "--crawl", "nope",
                 "-o", str(tmp_path / "x.wacz"))
    assert result.returncode == 1 and "no crawl 'nope'" in result.stderr
    assert not (tmp_path / "x.wacz").exists()


def test_cdxj_sorted_outside_memory_equals_the_indexers_own_sort(crawled, tmp_path,
                                                                   monkeypatch):
    from archive import cdxj

    monkeypatch.setattr(cdxj, "SORT_RUN", 7)  # many runs to merge
    for warc in sorted((crawled / "warc").glob("*.warc.gz")):
        written = cdxj.write_cdxj(warc, tmp_path)
        assert written.read_text(encoding="utf-8") == "".join(cdxj.cdxj_lines([warc]))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers
