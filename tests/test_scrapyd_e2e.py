"""End to end on the real engine: two Scrapyd servers on 127.0.0.1, the project deployed to
both as an egg, three replica portals crawled through ``crawl --all --scrapyd``, the shards
collected (twice) into one archive, ``verify`` clean, and bad shards refused."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.cluster.deploy import deploy
from crawler.cluster.errors import NodeUnreachableError, NoNodeError
from crawler.cluster.scrapyd import Cluster, ScrapydLauncher, ScrapydNode
from crawler.registry import load_registry
from crawler.scheduling.scheduler import Scheduler
from tests.archive_crawl import cli
from tests.portal_fixture import (
    FAST_SETTINGS,
    free_port,
    start_replica,
    start_scrapyd,
    stop,
    stop_node,
    write_portals_registry,
)

pytestmark = pytest.mark.e2e

PORTALS = ("binhlieu", "tienyen", "bache")
TABLES = ("portals", "crawls", "captures", "articles", "article_versions", "article_captures")


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scrapyd")
    procs, node_procs = [], []
    try:
        bases = {}
        for pid in PORTALS:
            proc, base = start_replica("--portal", pid, "--articles", "6", "--chrome-kb", "2")
            procs.append(proc)
            bases[pid] = base
        registry = write_portals_registry(tmp / "portals.toml", bases)
        nodes = []
        for name in ("node1", "node2"):
            proc, url = start_scrapyd(tmp / name)
            node_procs.append(proc)
            nodes.append(url)
        deployed = deploy(nodes, "1")
        out = tmp / "archive"
        crawl = cli("crawl", "--all", "--registry", str(registry), "--out", str(out),
                    *[a for url in nodes for a in ("--scrapyd", url)], *FAST_SETTINGS, timeout=300)
        yield {"tmp": tmp, "nodes": nodes, "deployed": deployed, "crawl": crawl, "out": out,
               "registry": registry, "bases": bases}
    finally:
        for proc in node_procs:  # with the crawl processes of their groups
            stop_node(proc)
        for proc in procs:
            stop(proc)


def test_deploy_reaches_both_nodes(cluster_run):
    assert cluster_run["deployed"] == {url: 1 for url in cluster_run["nodes"]}


def test_every_portal_crawled_once_across_both_nodes(cluster_run):
    crawl = cluster_run["crawl"]
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    lines = dict(line.split(": ", 1) for line in crawl.stdout.splitlines() if ": " in line)
    assert sorted(lines) == sorted(PORTALS)
    used = {line.split(" (")[0] for line in lines.values()}
    assert used == set(cluster_run["nodes"])  # least busy node: the work is spread
    assert all(" then " not in line for line in lines.values())  # nothing re-dispatched
    shards = sorted(p.name for p in (cluster_run["out"] / "shards").iterdir())
    assert sorted(s.rsplit("-", 2)[0] for s in shards) == sorted(PORTALS)


def test_collect_merges_idempotently_and_verifies(cluster_run):
    out = cluster_run["out"]
    first = cli("collect", "--out", str(out), timeout=300)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("collected ") == len(PORTALS)
    db = out / "archive.db"
    before = counts(db)
    with sqlite3.connect(db) as conn:
        per_portal = dict(conn.execute(
            "SELECT portal_id, count(*) FROM crawls WHERE status = 'finished' GROUP BY 1"))
        articles = dict(conn.execute("SELECT portal_id, count(*) FROM articles GROUP BY 1"))
    assert per_portal == {pid: 1 for pid in PORTALS}
    assert all(articles.get(pid, 0) >= 6 for pid in PORTALS), articles
    again = cli("collect", "--out", str(out), timeout=300)
    assert again.returncode == 0, again.stderr
    assert "0 WARC file(s) copied" in again.stdout and "0 capture(s)" in again.stdout
    assert counts(db) == before
    verify = cli("verify", "--db", str(db), timeout=300)
    assert verify.returncode == 0, verify.stdout[-3000:]
    # The central database is what reindexing all the collected WARCs gives.
    rebuilt = cluster_run["tmp"] / "rebuilt.db"
    run = cli("reindex", "--db", str(rebuilt), *map(str, sorted((out / "warc").iterdir())),
              timeout=300)
    assert run.returncode == 0, run.stderr
    assert counts(rebuilt) == before


def test_merged_archive_equals_a_local_crawl(cluster_run, tmp_path):
    cli_out = cli("collect", "--out", str(cluster_run["out"]), timeout=300)
    assert cli_out.returncode == 0
    local = tmp_path / "local"
    run = cli("crawl", "binhlieu", "--registry", str(cluster_run["registry"]),
              "--out", str(local), *FAST_SETTINGS, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]

    def content(db: Path) -> tuple[list, list]:
        with sqlite3.connect(db) as conn:
            articles = conn.execute(
                "SELECT article_id, url, title, published_at, author, body_text, view_count, "
                "versions FROM articles WHERE portal_id = 'binhlieu' ORDER BY 1").fetchall()
            # The replica's counters tick with every request, so the two crawls (one after
            # the other, same server) read different values: compare what was read, not it.
            counters = conn.execute(
                "SELECT metric, count(*), count(value) FROM visit_counters "
                "WHERE portal_id = 'binhlieu' GROUP BY 1 ORDER BY 1").fetchall()
        return articles, counters

    merged, alone = content(cluster_run["out"] / "archive.db"), content(local / "archive.db")
    assert merged[0] and merged[1]
    assert merged == alone


def test_bad_shards_are_skipped_without_harm(cluster_run, tmp_path):
    out = cluster_run["out"]
    cli("collect", "--out", str(out), timeout=300)
    db = out / "archive.db"
    before = counts(db)
    shard = next((out / "shards").iterdir())
    newer = tmp_path / "newer"
    shutil.copytree(shard, newer)
    with sqlite3.connect(newer / "archive.db") as conn:
        conn.execute("INSERT INTO _migrations VALUES ('m999_future', '2030-01-01T00:00:00Z')")
    unfinished = tmp_path / "unfinished"
    shutil.copytree(shard, unfinished)
    with sqlite3.connect(unfinished / "archive.db") as conn:
        conn.execute("UPDATE crawls SET status = 'running', finished_at = NULL")
    result = cli("collect", "--out", str(out), str(newer), str(unfinished),
                 str(tmp_path / "gone"), timeout=300)
    assert result.returncode == 1
    assert "schema version differs" in result.stderr and "m999_future" in result.stderr
    assert "not finished" in result.stderr
    assert "not found (node unreachable" in result.stderr
    assert counts(db) == before


def test_unreachable_node_is_skipped(cluster_run):
    dead = f"http://127.0.0.1:{free_port()}"
    cluster = Cluster.from_urls([dead, *cluster_run["nodes"]], timeout=2)
    assert cluster.least_busy().url in cluster_run["nodes"]
    with pytest.raises(NodeUnreachableError, match="unreachable"):
        ScrapydNode(dead, timeout=2).daemonstatus()
    assert deploy([dead], "1", b"")[dead].startswith("Scrapyd node unreachable")


def test_a_node_running_another_version_is_skipped(cluster_run, caplog):
    nodes = cluster_run["nodes"]
    assert Cluster.from_urls(nodes, version="1").least_busy().url in nodes
    with pytest.raises(NoNodeError, match="No usable Scrapyd node"):
        Cluster.from_urls(nodes, version="2").least_busy()
    assert f"{nodes[0]} runs project version 1, not 2: skipped" in caplog.text


FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "LOG_LEVEL": "INFO"}


def test_scheduler_dispatches_due_portals_and_never_twice(cluster_run, tmp_path):
    registry = write_portals_registry(tmp_path / "portals.toml", cluster_run["bases"],
                              extra='schedule = "0 2 * * *"')
    portals = load_registry(registry)
    now = [datetime(2026, 11, 24, 17, 0, tzinfo=UTC)]  # 00:00 in Hanoi

    def make(out: str) -> Scheduler:
        launcher = ScrapydLauncher(Cluster.from_urls(cluster_run["nodes"]), tmp_path / "nodes",
                                   str(registry), FAST)
        return Scheduler(portals, tmp_path / out, launcher, clock=lambda: now[0])

    first, second = make("out"), make("out2")
    assert first.tick() == [] and second.tick() == []
    now[0] += timedelta(hours=2)  # 02:00 in Hanoi: every portal is due
    assert sorted(first.tick()) == sorted(PORTALS)
    # Another scheduler on the same cluster (its own run log) sees the jobs on the nodes:
    # its slots end "locked", nothing is dispatched twice.
    second.tick()
    second.tick()
    assert not second.handles
    for _ in range(240):
        if not first.handles:
            break
        time.sleep(0.5)
        first.tick()
    assert not first.handles
    for pid in PORTALS:
        assert first.log.last_run(pid)["outcome"] == "ok"
        assert second.log.last_run(pid)["outcome"] == "locked"
    assert len(list((tmp_path / "nodes" / "shards").iterdir())) == len(PORTALS)


def test_a_lost_node_s_job_is_redispatched(cluster_run, tmp_path):
    doomed, url = start_scrapyd(tmp_path / "node3")
    try:
        assert deploy([url], "1") == {url: 1}
        survivor = cluster_run["nodes"][1]
        # Slow enough (0.3 s between requests) to be running when its node dies.
        settings = {**FAST, "DOWNLOAD_DELAY": "0.3", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
        launcher = ScrapydLauncher(Cluster.from_urls([url, survivor], timeout=2),
                                   tmp_path / "nodes", str(cluster_run["registry"]), settings)
        portal = load_registry(cluster_run["registry"])["tienyen"]
        handle = launcher.launch(portal, "full")
        assert handle.node.url == url  # both idle: the first node
        for _ in range(100):
            if handle.node.job_states().get(handle.job) == "running":
                break
            time.sleep(0.2)
        time.sleep(2)  # mid-crawl: some pages are in the lost shard's WARC
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
        for _ in range(400):
            if handle.poll() is not None:
                break
            time.sleep(0.5)
        assert handle.poll() == 0
        assert [node for node, _ in handle.history] == [url, survivor]
        lost, done = (launcher.shard_dir(job) for _, job in handle.history)
        out = tmp_path / "central"
        result = cli("collect", "--out", str(out), str(lost), str(done), timeout=300)
        assert result.returncode == 1 and "not finished" in result.stderr  # the lost one
        with sqlite3.connect(out / "archive.db") as conn:
            crawls = conn.execute("SELECT portal_id, status FROM crawls").fetchall()
            articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert crawls == [("tienyen", "finished")] and articles >= 6
        assert cli("verify", "--db", str(out / "archive.db"), timeout=300).returncode == 0
    finally:
        if doomed.poll() is None:
            os.killpg(doomed.pid, signal.SIGKILL)
            doomed.wait()
