"""``portal-archive crawl``: archive registry portals or an ad-hoc URL (Scrapy in-process;
one process per portal when several are given)."""

from __future__ import annotations

import subprocess
import sys

import click

from crawler.cli.crawl_workers import setting_overrides
from crawler.registry import KNOWN_FAMILIES, Portal, adhoc_portal, get_portal
from crawler.scheduling.window import WINDOW_CLOSED_EXIT, in_window


class WindowClosedExit(click.ClickException):
    """A crawl stopped at the end of its portal's window (exit status 3, not a failure of
    the portal: the scheduler logs it as ``window_closed``)."""

    exit_code = WINDOW_CLOSED_EXIT


def _check_window(portal, settings) -> None:
    """A crawl of a portal with a window starts only inside it (unless --ignore-window).
    ``settings``: Scrapy's, or the plain dict of ``crawl --workers``' parent."""
    enabled = settings.get("CRAWL_WINDOW_ENABLED", True)
    if str(enabled).strip().lower() in ("false", "0", "no", "off"):
        return
    from zoneinfo import ZoneInfo

    from crawler.scheduling.window import clock_from_settings, portal_window

    try:
        window = portal_window(portal, settings)
        now = clock_from_settings(settings)()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="CRAWL_WINDOW") from None
    if window and not in_window(window[0], now, window[1]):
        local = now.astimezone(ZoneInfo(window[1])).strftime("%H:%M")
        raise click.ClickException(
            f"{portal.id} may be crawled only inside its window {window[0]} ({window[1]}); "
            f"it is {local} there: wait for it, or give --ignore-window")


def _hold_lock(out: str, portal_id: str) -> None:
    """Two crawls of one portal into one archive never run at once: a crawl holds the
    portal's lock (``DIR/locks/<id>.lock``, the scheduler's) until it exits."""
    from crawler.scheduling.locked import hold, portal_lock

    path = portal_lock(out, portal_id)
    try:
        held = hold(path)
    except OSError:
        # The output directory cannot be written: nobody else can crawl into it either,
        # and the crawl itself stops at once saying why (crawler/fatal.py).
        return
    if not held:
        raise click.ClickException(f"another crawl of {portal_id} is running into {out} "
                                   f"(it holds {path})")


def _check_adhoc(url: str, family: str | None, portal_id: str | None) -> Portal:
    """The portal of ``--url``; a bad --url or --id is a usage error naming the option (not a
    registry error)."""
    from urllib.parse import urlsplit

    from crawler.registry import ID_RE

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="'--url'")
    if portal_id is not None and not ID_RE.match(portal_id):
        raise click.BadParameter(f"{portal_id!r} must be lowercase letters, digits, '-' or "
                                 "'_'", param_hint="'--id'")
    return adhoc_portal(url, family or "auto", portal_id)


def _scrapy_settings(out: str, overrides: tuple[str, ...]):
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("ARCHIVE_OUT_DIR", out, priority="cmdline")
    if sys.stderr.isatty():
        # On a terminal the progress line and the summary replace Scrapy's INFO chatter.
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
        settings.set("STATS_DUMP", False, priority="cmdline")
    for name, value in setting_overrides(overrides):
        settings.set(name, value, priority="cmdline")
    from crawler.middlewares.requisites import RequisitesSettingError, read_settings

    try:  # a mistyped setting is a usage error now, not a traceback from inside Scrapy
        read_settings(settings)
    except RequisitesSettingError as exc:
        raise click.BadParameter(str(exc), param_hint="-s") from None
    return settings


@click.command()
@click.argument("portal_ids", nargs=-1)
@click.option("--url", help="Crawl an ad-hoc site instead of registry portals.")
@click.option("--family", type=click.Choice(KNOWN_FAMILIES), default=None,
              help="CMS family (default: the registry's; 'auto' for --url).")
@click.option("--out", default="data", show_default=True, type=click.Path(file_okay=False),
              help="Output directory: WARCs in DIR/warc, database DIR/archive.db.")
@click.option("--limit", type=click.IntRange(min=1), help="Request at most N pages.")
@click.option("--id", "portal_id", help="Portal id for an ad-hoc --url crawl.")
@click.option("--registry", type=click.Path(dir_okay=False), help="Registry file (TOML).")
@click.option("--mode", type=click.Choice(["full", "incremental"]), default="full",
              show_default=True, help="incremental: only what is new or changed since the "
              "last crawl in --out (a full crawl when there is none).")
@click.option("--resume", is_flag=True, help="Continue the newest unfinished (killed) crawl "
              "of the portal in --out; nothing already archived is fetched again.")
@click.option("--ignore-window", is_flag=True, help="Crawl now, even outside the portal's "
              "registry window and past its end.")
@click.option("-s", "settings_", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, as scrapy crawl -s does.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Split each portal's crawl over N processes (N cores), each archiving "
              "a share of the articles; the portal's load stays the same (per-host "
              "concurrency divided, delays multiplied by N).")
@click.option("--all", "all_portals", is_flag=True, help="Every portal of the registry.")
@click.option("--scrapyd", "scrapyd_urls", multiple=True, metavar="URL",
              help="Dispatch the crawls to these Scrapyd nodes (repeatable) and wait; then "
              "`portal-archive collect --out DIR` merges their shards.")
@click.option("--node-out", type=click.Path(file_okay=False), help="With --scrapyd: the "
              "output root as the nodes see it (default: --out, absolute).")
@click.option("--scrapyd-queue", type=click.IntRange(min=0), default=8, show_default=True,
              metavar="N", help="With --scrapyd: jobs a node is given to wait for a free "
              "slot; the other portals wait and go to the least busy node once it has room "
              "(0: every portal dispatched at once).")
def crawl(portal_ids: tuple[str, ...], url: str | None, family: str | None, out: str,
          limit: int | None, portal_id: str | None, registry: str | None,
          settings_: tuple[str, ...], mode: str = "full", resume: bool = False,
          all_portals: bool = False, scrapyd_urls: tuple[str, ...] = (),
          node_out: str | None = None, workers: int = 1, ignore_window: bool = False,
          scrapyd_queue: int = 8) -> None:
    """Archive PORTAL_ID... (registry ids) or --url URL."""
    if ignore_window:  # as a setting, so portal subprocesses and workers inherit it
        settings_ = (*settings_, "CRAWL_WINDOW_ENABLED=False")
    if all_portals:
        from crawler.registry import load_registry

        if portal_ids or url:
            raise click.UsageError("--all takes no portal ids and no --url")
        portal_ids = tuple(load_registry(registry))
    if scrapyd_urls:
        _crawl_on_scrapyd(portal_ids, scrapyd_urls, out, node_out, registry, mode, limit,
                          settings_, scrapyd_queue or None)
        return
    if bool(portal_ids) == bool(url):
        raise click.UsageError("give registry portal ids or --url, not both or neither")
    adhoc = None
    if url:
        adhoc = _check_adhoc(url, family, portal_id)  # before starting Scrapy
    else:
        for pid in portal_ids:
            get_portal(pid, registry)
    if len(portal_ids) > 1:
        # One process per portal: one portal's failure never stops the others.
        failed = []
        for pid in portal_ids:
            args = [sys.executable, "-m", "crawler.cli", "crawl", pid, "--out", out]
            for flag, value in (("--family", family), ("--limit", limit),
                                ("--registry", registry), ("--mode", mode)):
                if value:
                    args += [flag, str(value)]
            for item in settings_:
                args += ["-s", item]
            args += ["--resume"] if resume else []
            args += ["--workers", str(workers)] if workers > 1 else []
            if subprocess.call(args) != 0:
                failed.append(pid)
        if failed:
            raise click.ClickException(f"crawl failed for: {', '.join(failed)}")
        return
    # The one portal crawled (--id names an ad-hoc one only): its lock, its resume, its workers.
    crawled_id = portal_ids[0] if portal_ids else adhoc.id
    if workers > 1:
        # The workers are `portal-archive crawl` themselves; this process only starts and
        # watches them, without loading Scrapy (crawl_workers). Outside the portal's window
        # it says so once and starts none.
        from crawler.cli.crawl_workers import light_settings, run_workers

        settings = light_settings(out, settings_)
        _check_window(get_portal(portal_ids[0], registry) if portal_ids else adhoc, settings)

        target = ["--url", url] + (["--id", portal_id] if portal_id else []) if url \
            else [portal_ids[0]]
        for flag, value in (("--family", family), ("--registry", registry),
                            ("--mode", mode)):
            if value:
                target += [flag, str(value)]
        _hold_lock(out, crawled_id)
        run_workers(crawled_id, target, out, settings, settings_, workers, limit, resume)
        return
    from scrapy.crawler import CrawlerProcess

    settings = _scrapy_settings(out, settings_)
    _check_window(get_portal(portal_ids[0], registry) if portal_ids else adhoc, settings)
    _hold_lock(out, crawled_id)  # after every usage check, before resume touches the archive
    kwargs = {"url": url, "portal_id": portal_id} if url else {"portal": portal_ids[0]}
    kwargs.update(family=family, limit=limit, registry=registry, mode=mode)
    if mode == "incremental":
        from crawler.incremental import db_path, has_baseline

        pid = portal_id or (portal_ids[0] if portal_ids else None)
        path = db_path(settings)
        if pid and not has_baseline(path, pid):
            click.echo(f"Warning: no earlier crawl of {pid} in {path}: running a full crawl.",
                       err=True)
            kwargs["mode"] = "full"
    if resume:
        from crawler.resume import apply_resume

        apply_resume(settings, kwargs, crawled_id)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("portal")
    process.crawl(crawler, **{k: v for k, v in kwargs.items() if v is not None})
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    fatal = crawler.stats.get_value("archive/fatal_error") if crawler.stats else None
    if fatal:  # the archive could not be written (crawler/fatal.py): say why, in one line
        raise click.ClickException(f"{fatal}; the crawl stopped ({reason or 'not started'})")
    if reason == "window_closed":  # crawler/extensions/crawl_window.py
        raise WindowClosedExit(
            f"the crawl window {crawler.stats.get_value('crawl_window/window')} closed: "
            f"crawl stopped unfinished; `crawl {kwargs.get('portal') or '--url ' + str(url)} "
            "--resume` (the scheduler's next run does it) or an incremental crawl continues")
    if reason == "nothing_archived":  # crawler/extensions/nothing_archived.py
        detail = crawler.stats.get_value("nothing_archived/detail")
        raise click.ClickException(f"nothing archived: {detail}")
    if reason not in ("finished", "closespider_pagecount", "closespider_itemcount"):
        raise click.ClickException(f"crawl did not finish cleanly: {reason or 'not started'}")


def _crawl_on_scrapyd(portal_ids: tuple[str, ...], urls: tuple[str, ...], out: str,
                      node_out: str | None, registry: str | None, mode: str,
                      limit: int | None, settings_: tuple[str, ...],
                      queue_ahead: int | None) -> None:
    from pathlib import Path

    from crawler.cluster.scrapyd import Cluster, ScrapydLauncher, run_all

    if not portal_ids:
        raise click.UsageError("--scrapyd needs registry portal ids or --all")
    portals = [get_portal(pid, registry) for pid in portal_ids]
    settings = dict(setting_overrides(settings_))
    launcher = ScrapydLauncher(Cluster.from_urls(urls), Path(node_out or Path(out).resolve()),
                               str(Path(registry).resolve()) if registry else None, settings,
                               {"limit": str(limit)} if limit else {})
    handles = run_all(launcher, portals, mode, queue_ahead=queue_ahead)
    for pid, handle in handles.items():
        history = getattr(handle, "history", [])
        where = " then ".join(f"{node} ({job})" for node, job in history) or "already active"
        click.echo(f"{pid}: {where}")


COMMANDS = [crawl]
