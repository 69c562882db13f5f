"""Command line: serve a replica portal on 127.0.0.1, or dump it as static files.

    python -m tests.replica --port 0 --articles 240 [--seed 1] [--chrome-kb 60]
                            [--portal binhlieu] [--gzip/--no-gzip] [--dump DIR]
                            [--family qnp|tandan|liferay|nukeviet|lacviet] [--day N]
                            [--faults [--robots-change-after N]]

``--family`` picks the CMS family of the replica (default ``qnp``, the Bình Liêu portal; the
others live in ``tests/replica/families/``; ``--chrome-kb`` and ``--portal`` are QNP's).
``--day 2`` serves the QNP site a day later: 5 new articles, 2 edited, 1 removed, 1 re-dated.

When serving, the first line on stdout is `REPLICA http://127.0.0.1:<port>/`; SIGTERM or SIGINT
stops the server and the process exits with status 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .families import FAMILY_NAMES, make_site
from .model import PORTALS
from .server import HOST, make_server
from .site import ReplicaSite


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.replica", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=HOST, help="only 127.0.0.1 is accepted")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--articles", type=int, default=240,
                        help="generated articles, besides the founding and special ones")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chrome-kb", type=int, default=60,
                        help="approximate weight of the SharePoint chrome per page")
    parser.add_argument("--portal", choices=sorted(PORTALS), default="binhlieu")
    parser.add_argument("--gzip", action=argparse.BooleanOptionalAction, default=True,
                        help="gzip bodies for clients that send Accept-Encoding: gzip")
    parser.add_argument("--cache-size", type=int, default=1024, help="rendered pages kept")
    parser.add_argument("--dump", metavar="DIR", type=Path,
                        help="write the site as static files (wget-style names) and exit")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--hostile", action="store_true",
                        help="add the hostile article (nid 99666, listed in Cat=84)")
    parser.add_argument("--unlisted", type=int, metavar="NID",
                        help="leave article NID out of every listing and the home page (it "
                             "stays linked from its category's newer articles)")
    parser.add_argument("--family", choices=FAMILY_NAMES, default="qnp",
                        help="CMS family of the replica site (default qnp)")
    parser.add_argument("--day", type=int, default=1,
                        help="the replica's clock: 2 adds, edits, removes, re-dates (QNP)")
    parser.add_argument("--faults", action="store_true",
                        help="serve the fault-injection routes under /faults/ (faults.py)")
    parser.add_argument("--robots-change-after", type=int, metavar="N",
                        help="with --faults: robots.txt disallows /faults/robots-late once "
                        "the server has answered N requests")
    args = parser.parse_args(argv)
    if args.host != HOST:
        parser.error(f"--host must be {HOST}: the replica never listens beyond loopback")
    if not 6 <= args.articles <= 1_000_000 or args.chrome_kb < 0:
        parser.error("--articles must be 6..1000000 and --chrome-kb >= 0")
    return args


def dump(site: ReplicaSite, root: Path) -> int:
    """Write every reachable page; names keep the query string, like `wget -r` does."""
    count = 0
    for target in site.urls():
        response = site.resolve(target)
        path = root / target.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(response.body(site.next_hit(), gzip=False))
        count += 1
    return count


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)  # unwinds serve_forever in the main thread


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.family == "qnp":
        site = ReplicaSite(articles=args.articles, seed=args.seed, chrome_kb=args.chrome_kb,
                           portal=args.portal, gzip=args.gzip, cache_size=args.cache_size,
                           day=args.day, hostile=args.hostile, unlisted=args.unlisted)
    else:
        site = make_site(args.family, articles=args.articles, seed=args.seed, gzip=args.gzip,
                         cache_size=args.cache_size)
    if args.dump:
        count = dump(site, args.dump)
        print(f"DUMPED {count} files to {args.dump}", flush=True)
        return 0
    faults = None
    if args.faults:
        from .faults import HOME_LINK, Faults

        faults, site.home_extra = Faults(args.robots_change_after), HOME_LINK
    server = make_server(site, args.port, args.verbose, faults)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"REPLICA {server.base_url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
