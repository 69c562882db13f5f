"""``make demo``: start the replica Bình Liêu portal, archive it into data/demo (WARC +
SQLite), stop the replica, and serve the result with Datasette until Ctrl-C."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.portal_fixture import FAST_SETTINGS, ROOT, start_replica, stop, write_registry

OUT = ROOT / "data" / "demo"


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    proc, base_url = start_replica("--articles", "240")
    print(f"replica portal: {base_url}", flush=True)
    try:
        registry = write_registry(OUT / "registry.toml", base_url)
        code = subprocess.call(
            [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu", "--registry",
             str(registry), "--out", str(OUT), *FAST_SETTINGS], cwd=ROOT,
        )
    finally:
        stop(proc)
    if code != 0:
        print("crawl failed", file=sys.stderr)
        return code
    warcs = sorted((OUT / "warc").glob("*.warc.gz"))
    print(f"\nWARC files: {', '.join(str(w.relative_to(ROOT)) for w in warcs)}")
    print(f"database:   {(OUT / 'archive.db').relative_to(ROOT)}")
    print("Serving Datasette at http://127.0.0.1:8001/archive  (Ctrl-C to stop)", flush=True)
    try:
        return subprocess.call([sys.executable, "-m", "crawler.cli", "serve", "--db",
                                str(OUT / "archive.db"), "--port", "8001"], cwd=ROOT)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
