"""WACZ 1.1.1 packages: WARC files, a CDXJ index, a page list and a datapackage with digests,
in one ZIP that ReplayWeb.page and pywb open directly.

Layout (https://specs.webrecorder.net/wacz/1.1.1/)::

    archive/<name>.warc.gz      the WARC files, unchanged
    indexes/index.cdx           merged, sorted CDXJ of all of them (cdxj-indexer; the name
                                pywb and ReplayWeb.page look for, content CDXJ)
    pages/pages.jsonl           {"format": "json-pages-1.0", …} then one page per line
    datapackage.json            every file above with its size and sha256
    datapackage-digest.json     the sha256 of datapackage.json

Every entry is stored, not deflated: WARCs are gzip already and replay tools read WARC
records by offset straight out of the ZIP. No settings are read.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archive.cdxj import cdxj_lines

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
CHUNK = 1 << 20


@dataclass(frozen=True)
class Page:
    """An entry of pages.jsonl: a page a reader would open (an archived article)."""

    url: str
    ts: str  # the capture's WARC-Date
    title: str | None = None
    id: str | None = None


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
            size += len(block)
    return "sha256:" + digest.hexdigest(), size


def _resource(path: str, data: bytes | None = None, file: Path | None = None) -> dict:
    if file is not None:
        digest, size = _sha256_file(file)
    else:
        assert data is not None
        digest, size = "sha256:" + hashlib.sha256(data).hexdigest(), len(data)
    return {"name": Path(path).name, "path": path, "hash": digest, "bytes": size}


def build_wacz(warc_files: Iterable[str | os.PathLike], pages: Iterable[Page],
               target: str | os.PathLike, *, title: str, description: str = "",
               software: str = "portal-archive", created: datetime | None = None,
               main_page: Page | None = None) -> dict:
    """Write a WACZ package to ``target`` (written beside it, then renamed: never a half
    package); return its datapackage."""
    warcs = sorted(Path(p) for p in warc_files)
    if not warcs:
        raise ValueError("a WACZ needs at least one WARC file")
    when = (created or datetime.now(UTC)).astimezone(UTC)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    zip_time = when.timetuple()[:6]
    index = "".join(cdxj_lines(warcs)).encode("utf-8")
    page_lines = [json.dumps(PAGES_HEADER)]
    for n, page in enumerate(pages):
        entry = {"id": page.id or f"p{n:06d}", "url": page.url, "ts": page.ts}
        if page.title:
            entry["title"] = page.title
        page_lines.append(json.dumps(entry, ensure_ascii=False))
    pages_data = ("\n".join(page_lines) + "\n").encode("utf-8")

    resources = [_resource(f"archive/{w.name}", file=w) for w in warcs]
    resources.append(_resource("indexes/index.cdx", index))
    resources.append(_resource("pages/pages.jsonl", pages_data))
    package = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": title,
        "description": description,
        "software": software,
        "created": stamp,
        "modified": stamp,
        "resources": resources,
    }
    if main_page is not None:
        package["mainPageUrl"] = main_page.url
        package["mainPageDate"] = main_page.ts
    package_data = json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8")
    digest = {"path": "datapackage.json",
              "hash": "sha256:" + hashlib.sha256(package_data).hexdigest()}

    target = Path(target)
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for warc in warcs:
            info = zipfile.ZipInfo(f"archive/{warc.name}", zip_time)
            with open(warc, "rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                while block := src.read(CHUNK):
                    dst.write(block)
        for name, data in (("indexes/index.cdx", index), ("pages/pages.jsonl", pages_data),
                           ("datapackage.json", package_data),
                           ("datapackage-digest.json",
                            json.dumps(digest, indent=2).encode("utf-8"))):
            zf.writestr(zipfile.ZipInfo(name, zip_time), data)
    os.replace(tmp, target)
    return package
