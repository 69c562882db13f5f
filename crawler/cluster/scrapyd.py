"""Scrapyd nodes as the crawl executor: a small client for their JSON API, and the
``ScrapydLauncher`` the scheduler (and ``crawl --all --scrapyd``) use instead of local
processes.

Each portal crawl is one Scrapyd job of the ``portal`` spider on the least busy reachable
node (fewest pending + running jobs). Its job id starts with the portal id, so any node's
``listjobs.json`` tells whether that portal is already being crawled somewhere: a portal is
never dispatched while a job of it is pending or running on any reachable node. The job
writes to ``NODE_OUT/shards/<job id>`` (the ``ARCHIVE_OUT_DIR`` setting, per job), which
``portal-archive collect`` merges into the central archive. A job whose node stops answering
(``LOST_AFTER`` polls in a row), or which its node no longer knows (restarted), is
dispatched again on another node.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from crawler.cluster.deploy import PROJECT
from crawler.cluster.errors import NodeUnreachableError, NoNodeError, ScrapydError
from crawler.registry import Portal
from crawler.scheduling.locked import LOCKED_EXIT

logger = logging.getLogger(__name__)

LOST_AFTER = 3  # failed polls in a row before a job's node counts as gone


class ScrapydNode:
    """One Scrapyd server (``http://host:6800``)."""

    def __init__(self, url: str, project: str = PROJECT, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.project = project
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"ScrapydNode({self.url!r})"

    def _call(self, endpoint: str, params: list[tuple[str, str]] | None = None,
              body: bytes | None = None, content_type: str | None = None) -> dict:
        url = f"{self.url}/{endpoint}"
        data = body
        headers = {}
        if body is None and params is not None:
            data = urllib.parse.urlencode(params).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise NodeUnreachableError(f"{self.url}: {exc}") from exc
        if answer.get("status") != "ok":
            raise ScrapydError(f"{self.url}/{endpoint}: {answer.get('message', answer)}")
        return answer

    def _get(self, endpoint: str, **params: str) -> dict:
        query = urllib.parse.urlencode(params)
        return self._call(f"{endpoint}?{query}" if query else endpoint)

    def daemonstatus(self) -> dict:
        return self._get("daemonstatus.json")

    def listjobs(self) -> dict:
        return self._get("listjobs.json", project=self.project)

    def job_states(self) -> dict[str, str]:
        """Job id → ``pending``, ``running`` or ``finished``: every job the node knows, in one
        request."""
        jobs = self.listjobs()
        return {job["id"]: state for state in ("finished", "running", "pending")
                for job in jobs.get(state, [])}

    def schedule(self, spider: str, job: str, args: dict[str, str],
                 settings: dict[str, str]) -> str:
        params = [("project", self.project), ("spider", spider), ("jobid", job)]
        params += [("setting", f"{k}={v}") for k, v in settings.items()]
        params += [(k, str(v)) for k, v in args.items()]
        return self._call("schedule.json", params)["jobid"]

    def cancel(self, job: str) -> None:
        self._call("cancel.json", [("project", self.project), ("job", job)])

    def versions(self) -> list[str]:
        """The project's egg versions on the node, oldest first (the last one runs)."""
        return list(self._get("listversions.json", project=self.project).get("versions", []))

    def addversion(self, version: str, egg: bytes) -> int:
        """Upload an egg; return the number of spiders Scrapyd found in it."""
        boundary = "portal-archive-" + secrets.token_hex(8)
        parts = []
        for name, value in (("project", self.project), ("version", version)):
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                         f"\r\n\r\n{value}\r\n".encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; '
                     f'filename="{self.project}.egg"\r\nContent-Type: application/octet-stream'
                     "\r\n\r\n".encode() + egg + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        answer = self._call("addversion.json", body=b"".join(parts),
                            content_type=f"multipart/form-data; boundary={boundary}")
        return int(answer.get("spiders", 0))


def job_id(portal_id: str, now: datetime | None = None) -> str:
    """``<portal>-<UTC stamp>-<random>``: the portal is readable from any node's job list."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{portal_id}-{stamp}-{secrets.token_hex(3)}"


def job_portal(job: str) -> str:
    return job.rsplit("-", 2)[0]


@dataclass
class Cluster:
    """The nodes, and the portal → job bookkeeping that spans them."""

    nodes: list[ScrapydNode]
    version: str | None = None  # the egg version every node must run (None: any)

    @classmethod
    def from_urls(cls, urls: Iterable[str], timeout: float = 10.0,
                  version: str | None = None) -> Cluster:
        return cls([ScrapydNode(u, timeout=timeout) for u in urls], version)

    def least_busy(self, exclude: Iterable[ScrapydNode] = (),
                   max_waiting: int | None = None) -> ScrapydNode | None:
        """The reachable node with the fewest jobs (running ``version`` when one is set).
        With ``max_waiting``, None when that node already has that many jobs waiting for a
        slot: the job waits for it rather than go to a busier node. (Scrapyd starts waiting
        jobs every ``poll_interval``: until its poller runs, a node shows all its new jobs
        waiting, and handing the next ones to the other node would leave it a wave more.)"""
        skip = {n.url for n in exclude}
        loads = []
        for index, node in enumerate(self.nodes):
            if node.url in skip:
                continue
            try:
                if self.version is not None:
                    versions = node.versions()
                    if not versions or versions[-1] != self.version:
                        # Its shards would come from other code (maybe another schema).
                        logger.warning("%s runs project version %s, not %s: skipped", node.url,
                                       versions[-1] if versions else "none", self.version)
                        continue
                status = node.daemonstatus()
                waiting = int(status.get("pending", 0))
                loads.append((waiting + int(status.get("running", 0)), index, node, waiting))
            except (NodeUnreachableError, ScrapydError) as exc:
                logger.warning("%s", exc)
        if not loads:
            raise NoNodeError(", ".join(n.url for n in self.nodes))
        _, _, node, waiting = min(loads, key=lambda t: t[:2])
        return None if max_waiting is not None and waiting >= max_waiting else node


@dataclass
class ScrapydJob:
    """A dispatched crawl; ``poll()`` as ``subprocess.Popen.poll`` (0 when finished)."""

    launcher: ScrapydLauncher
    portal: Portal
    mode: str
    node: ScrapydNode
    job: str
    pid: int | None = None
    failures: int = 0
    history: list[tuple[str, str]] = field(default_factory=list)  # (node url, job) tried
    returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        try:
            state = self.launcher.job_state(self.node, self.job)
        except (NodeUnreachableError, ScrapydError) as exc:
            logger.warning("%s (job %s)", exc, self.job)
            state = "unreachable"
        if state in ("pending", "running", "finished"):
            self.failures = 0
        else:
            self.failures += 1
        if state == "finished":
            self.returncode = self.launcher.exit_status(self.job)
        elif self.failures >= LOST_AFTER:
            # The node went away, or restarted and forgot the job: run it elsewhere.
            try:
                self.launcher.redispatch(self)
            except NoNodeError as exc:
                logger.error("%s: cannot re-dispatch: %s", self.portal.id, exc)
        return self.returncode

    @property
    def shard(self) -> Path:
        return self.launcher.shard_dir(self.job)


@dataclass
class _Locked:
    """A portal already crawled on some node: the scheduler logs the slot as ``locked``."""

    pid: int | None = None

    def poll(self) -> int | None:
        return LOCKED_EXIT


@dataclass
class ScrapydLauncher:
    """Launches crawls as Scrapyd jobs (fits ``crawler.scheduling.scheduler.Launcher``).

    ``node_out`` is the output root as seen by the nodes (shared, or the same path on each
    machine); ``registry`` the registry file's path on the nodes; ``settings`` extra Scrapy
    settings for every job; ``spider_args`` extra ``-a`` arguments."""

    cluster: Cluster
    node_out: Path
    registry: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    spider_args: dict[str, str] = field(default_factory=dict)  # e.g. limit
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    states_ttl: float = 0.5  # seconds one job list of a node answers its jobs' polls
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)
    _states: dict[str, tuple[float, dict[str, str] | Exception]] = field(default_factory=dict,
                                                                        repr=False)

    def job_state(self, node: ScrapydNode, job: str) -> str:
        """The job's state from its node's job list, fetched once per poll round: polling
        every job of a many-portal run costs one request per node, not one per job."""
        return self._node_states(node).get(job, "")

    def _node_states(self, node: ScrapydNode) -> dict[str, str]:
        now = self.monotonic()
        cached = self._states.get(node.url)
        if cached is None or now - cached[0] > self.states_ttl:
            try:
                cached = (now, node.job_states())
            except (NodeUnreachableError, ScrapydError) as exc:
                # Remembered for the round too: each job of a dead node would otherwise wait
                # out the connection timeout again, and one round take jobs x timeout.
                cached = (now, exc)
            self._states[node.url] = cached
        if isinstance(cached[1], Exception):
            raise cached[1]
        return cached[1]

    def active_jobs(self) -> dict[str, tuple[ScrapydNode, str]]:
        """Portal → (node, job) for every pending or running job on a reachable node, from
        the same per-round job lists (dispatching a round of portals asks each node once,
        not once per portal; a node just given a job is asked again)."""
        active: dict[str, tuple[ScrapydNode, str]] = {}
        for node in self.cluster.nodes:
            try:
                states = self._node_states(node)
            except (NodeUnreachableError, ScrapydError):
                continue  # a node without the project yet has no job of it
            for job, state in states.items():
                portal = job_portal(job)
                # a running job wins over a pending one (of any node)
                if state == "running" or (state == "pending" and portal not in active):
                    active[portal] = (node, job)
        return active

    def shard_dir(self, job: str) -> Path:
        return Path(self.node_out) / "shards" / job

    def exit_status(self, job: str) -> int:
        """Scrapyd does not say how a job ended; its shard does, when this machine sees it:
        0 when every crawl in it finished, 1 otherwise (0 when the shard is not visible
        here: ``collect`` will judge it)."""
        db_path = self.shard_dir(job) / "archive.db"
        if not db_path.exists():
            return 0
        try:
            conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            try:
                rows = conn.execute("SELECT status FROM crawls").fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            return 1
        return 0 if rows and all(r[0] == "finished" for r in rows) else 1

    def run_alive(self, portal_id: str, pid: int | None = None) -> bool:
        """Whether a job of the portal is pending or running on a reachable node (a
        restarted scheduler adopts such runs instead of calling them lost)."""
        return portal_id in self.active_jobs()

    def adopt(self, portal: Portal, mode: str, pid: int | None = None) -> ScrapydJob | None:
        """The portal's pending or running job, for a restarted scheduler: polled like a job
        this launcher dispatched, so how it ended comes from its node and its shard
        (``exit_status``), not from the scheduler's own directory. None: no such job."""
        active = self.active_jobs().get(portal.id)
        if active is None:
            return None
        node, job = active
        handle = ScrapydJob(self, portal, mode, node, job)
        handle.history.append((node.url, job))
        return handle

    def _submit(self, portal: Portal, mode: str, exclude: Iterable[ScrapydNode] = (),
                node: ScrapydNode | None = None) -> tuple[ScrapydNode, str]:
        node = node or self.cluster.least_busy(exclude)
        assert node is not None  # least_busy without max_waiting returns a node or raises
        job = job_id(portal.id, self.clock())
        args = {**self.spider_args, "portal": portal.id, "mode": mode}
        if self.registry:
            args["registry"] = str(self.registry)
        settings = {**self.settings, "ARCHIVE_OUT_DIR": str(self.shard_dir(job))}
        node.schedule("portal", job, args, settings)
        self._states.pop(node.url, None)  # a list fetched before knows nothing of the job
        logger.info("dispatched %s as job %s on %s", portal.id, job, node.url)
        return node, job

    def launch(self, portal: Portal, mode: str, log_file: Path | None = None,
               node: ScrapydNode | None = None) -> ScrapydJob | _Locked:
        """Dispatch a crawl of ``portal`` to ``node`` (default: the least busy one)."""
        running = self.active_jobs().get(portal.id)
        if running is not None:
            logger.warning("%s: job %s still active on %s; not dispatched", portal.id,
                           running[1], running[0].url)
            return _Locked()
        try:
            node, job = self._submit(portal, mode, node=node)
        except NoNodeError as exc:
            raise OSError(str(exc)) from exc  # the scheduler logs "could not start"
        handle = ScrapydJob(self, portal, mode, node, job)
        handle.history.append((node.url, job))
        if log_file is not None:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            with open(log_file, "a", encoding="utf-8") as log:
                log.write(f"dispatched to {node.url} as job {job}; output "
                          f"{self.shard_dir(job)}\n")
        return handle

    def redispatch(self, handle: ScrapydJob) -> None:
        """Run a lost job again on another node (the lost node's partial shard is left
        where it is; collect skips it as unfinished)."""
        lost = handle.node
        try:
            lost.cancel(handle.job)  # in case it comes back: never two crawls of a portal
        except (NodeUnreachableError, ScrapydError):
            pass
        node, job = self._submit(handle.portal, handle.mode, exclude=[lost])
        logger.warning("%s: node %s lost job %s; re-dispatched to %s as %s", handle.portal.id,
                       lost.url, handle.job, node.url, job)
        handle.node, handle.job, handle.failures = node, job, 0
        handle.history.append((node.url, job))


QUEUE_AHEAD = 8  # jobs a node holds waiting for a slot, by default (run_all)


def run_all(launcher: ScrapydLauncher, portals: Iterable[Portal], mode: str = "full",
            interval: float = 1.0, timeout: float | None = None,
            sleep: Callable[[float], None] = time.sleep,
            queue_ahead: int | None = QUEUE_AHEAD) -> dict[str, ScrapydJob | _Locked]:
    """Dispatch every portal (a one-off crawl of a registry) and wait until all finished.

    Each portal goes to the least busy node (fewest jobs), once that node has fewer than
    ``queue_ahead`` jobs waiting for a slot; until then the portals wait here: a node slowed
    by large portals does not sit on a queue the others could have run, and a node whose
    poller has not yet started its jobs is not passed over for a busier one (None: every
    portal dispatched at once)."""
    backlog = deque(portals)
    handles: dict[str, ScrapydJob | _Locked] = {}
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        while backlog:
            try:
                node = (launcher.cluster.least_busy(max_waiting=queue_ahead)
                        if queue_ahead is not None else None)
            except NoNodeError as exc:
                raise OSError(str(exc)) from exc
            if queue_ahead is not None and node is None:
                break  # every node's queue is full: the rest wait for room
            portal = backlog.popleft()
            handles[portal.id] = launcher.launch(portal, mode, node=node)
        # Every job polled each round (not any(), which stops at the first one running): a
        # job whose node went away is counted lost and re-dispatched without waiting.
        if not [h for h in handles.values() if h.poll() is None] and not backlog:
            return handles
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError("Scrapyd jobs still running after the timeout")
        sleep(interval)
