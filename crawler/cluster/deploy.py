"""Build the project's egg for Scrapyd and upload it to nodes (``addversion.json``).

The egg is a zip of the ``spiders``, ``crawler``, ``archive`` and ``db`` packages (their
``.py`` files and package data), ``portals.toml`` and ``EGG-INFO`` whose ``scrapy`` entry
point names ``crawler.settings``, which is what Scrapyd reads to find the settings module.
Built here rather than by ``setup.py bdist_egg`` because the project has no setup.py, and a
generated one would pack ``tests/`` and miss package data. Third-party dependencies are not
in the egg: a node runs Scrapyd in an environment where ``pip install portal-archive``
(or its requirements) has been done.

Each module is also in the egg as bytecode (``name.pyc`` beside ``name.py``, hash-checked
against the source): Python imports a zip without ever caching bytecode, so otherwise every
crawl process compiles the whole project again as it starts (~0.2 s of CPU per job, which
adds up when a node starts its slots' crawls at once). A node on another Python version
finds the bytecode's magic number wrong and compiles the source instead.

``python -m crawler.cluster.deploy URL... [--version V] [--egg FILE]``
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import marshal
import time
import zipfile
from pathlib import Path

PROJECT = "portal_archive"
ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("spiders", "crawler", "archive", "db")
DATA_SUFFIXES = (".py", ".toml", ".json", ".yaml", ".html", ".css", ".sql")


def build_egg(root: Path = ROOT, version: str = "0.1.0") -> bytes:
    """The egg's bytes (deterministic for a given tree: files sorted, fixed timestamps)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as egg:
        def add(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            egg.writestr(info, data)

        for package in PACKAGES:
            for path in sorted((root / package).rglob("*")):
                if (path.is_file() and "__pycache__" not in path.parts
                        and path.suffix in DATA_SUFFIXES):
                    name, data = path.relative_to(root).as_posix(), path.read_bytes()
                    add(name, data)
                    if path.suffix == ".py":
                        add(name + "c", bytecode(name, data))
        registry = root / "portals.toml"
        if registry.exists():
            add("portals.toml", registry.read_bytes())
        add("EGG-INFO/PKG-INFO",
            f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {version}\n".encode())
        add("EGG-INFO/entry_points.txt", b"[scrapy]\nsettings = crawler.settings\n")
        add("EGG-INFO/top_level.txt", "\n".join(PACKAGES).encode() + b"\n")
        add("EGG-INFO/zip-safe", b"\n")
    return buf.getvalue()


def bytecode(name: str, source: bytes) -> bytes:
    """A ``.pyc`` of ``source`` for zipimport: checked-hash (PEP 552), so it is only used
    while it matches the source beside it, and the same bytes for the same source."""
    code = compile(source, name, "exec", dont_inherit=True)
    return (importlib.util.MAGIC_NUMBER + (0b11).to_bytes(4, "little")
            + importlib.util.source_hash(source) + marshal.dumps(code))


def default_version() -> str:
    """A sortable version (Scrapyd runs the newest one by default)."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime())


def deploy(urls: list[str], version: str | None = None, egg: bytes | None = None) -> dict:
    """Upload the egg to every node; return ``{url: spiders or error message}``."""
    from crawler.cluster.errors import NodeUnreachableError, ScrapydError
    from crawler.cluster.scrapyd import ScrapydNode

    version = version or default_version()
    egg = egg if egg is not None else build_egg()
    results: dict = {}
    for url in urls:
        try:
            results[url] = ScrapydNode(url).addversion(version, egg)
        except (NodeUnreachableError, ScrapydError) as exc:
            results[url] = str(exc)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.cluster.deploy",
                                     description="Deploy portal-archive to Scrapyd nodes.")
    parser.add_argument("urls", nargs="*", help="Scrapyd node URLs")
    parser.add_argument("--version", help="egg version (default: UTC timestamp)")
    parser.add_argument("--egg", help="also write the egg to this file")
    args = parser.parse_args(argv)
    egg = build_egg()
    if args.egg:
        Path(args.egg).write_bytes(egg)
    failed = 0
    for url, result in deploy(args.urls, args.version, egg).items():
        if isinstance(result, str):
            failed += 1
            print(f"{url}: FAILED {result}")
        else:
            print(f"{url}: deployed, {result} spider(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
