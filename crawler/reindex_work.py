"""The part of reindex that needs only WARC bytes: each response's payload, decoding and extraction.

``analyse_response`` turns one archived response (a ``ResponseTask``) into what its rows need:
the payload's length (a revisit's is read from the record it refers to), the decode problem of
its Content-Encoding, and the extraction result (the same ``crawler.indexing`` functions the
live crawl calls). It is a pure function of the task, so reindex can run it in worker
processes: ``in_order`` yields each item of a stream with its analysis, in the stream's
order, computing them inline (``jobs=1``) or in a ``ProcessPoolExecutor`` (``jobs>1``) a
bounded window ahead of the caller, which keeps the database writes serial and in WARC order
(the rows are the same whatever ``jobs`` is) and memory flat whatever the number of records.
No settings: ``jobs`` comes from ``portal-archive reindex --jobs``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from archive import CorruptWarcError, read_record_at
from crawler.decoding import MAX_SIZE, archived_decode
from crawler.indexing import analyse_page, should_extract

# Responses sent to a worker per task (fewer round trips), and tasks kept in flight per
# worker: enough to keep every worker busy while the main process writes, few enough that
# the window of bodies held in memory stays small (a few MB).
CHUNK_SIZE = 8
CHUNKS_AHEAD = 4
# Records without work for the pool (images, documents, metadata) still wait in the window
# behind a pending page: bounded too, since their bodies can be large.
MAX_WINDOW = 512


@dataclass(frozen=True)
class ResponseTask:
    """One response or revisit record, as extraction sees it."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    content_type: str | None
    entity: bytes  # the record's own (a revisit's is usually empty)
    original: tuple[str, int] | None  # (file, offset) of the record a revisit refers to
    extract: bool  # False for requisites and truncated bodies: the payload length only
    family: str
    base_url: str | None
    max_size: int = MAX_SIZE  # the crawl's DOWNLOAD_MAXSIZE: the decoded body's cap

    @property
    def light(self) -> bool:
        """Nothing to decode, extract or read: not worth a trip to a worker."""
        return not self.extract and self.original is None


@dataclass
class Analysis:
    payload_length: int
    error: str | None = None  # reading a revisit's original failed (CorruptWarcError)
    problem: str | None = None  # the body's Content-Encoding cannot be undone
    page: tuple[dict[str, Any], str | None, str | None] | None = None  # analyse_page's


def analyse_response(task: ResponseTask) -> Analysis:
    """What the rows of one response need, from its record (and a revisit's original)."""
    entity, error = task.entity, None
    if task.original is not None:
        try:
            entity = read_record_at(*task.original, decode_content=False).entity
        except CorruptWarcError as exc:
            error = str(exc)  # the revisit then stands for its own (empty) payload
    result = Analysis(len(entity), error)
    if not task.extract:
        return result
    body, result.problem = archived_decode(task.status, task.headers, entity, task.max_size)
    if result.problem is None and should_extract(task.url, task.status, task.content_type):
        result.page = analyse_page(task.url, body, task.content_type, task.family,
                                   task.base_url)
    return result


def _analyse_all(tasks: list[ResponseTask]) -> list[Analysis]:
    return [analyse_response(task) for task in tasks]


class Item(Protocol):
    task: ResponseTask | None


class _Chunk:
    def __init__(self) -> None:
        self.tasks: list[ResponseTask] = []
        self.future: Future | None = None

    def submit(self, pool: ProcessPoolExecutor) -> None:
        self.future = pool.submit(_analyse_all, self.tasks)
        self.tasks = []  # the worker has its copy


def in_order(items: Iterable[Item], jobs: int = 1) -> Iterator[tuple[Any, Analysis | None]]:
    """Each item with the analysis of its ``task`` (None without one), in the items' order."""
    if jobs <= 1:
        for item in items:
            yield item, analyse_response(item.task) if item.task is not None else None
        return
    import crawler.extract  # noqa: F401 - imported once here, not in every forked worker

    pool = ProcessPoolExecutor(max_workers=jobs)
    window: deque[tuple[Any, tuple[_Chunk, int] | None]] = deque()
    chunk = _Chunk()
    queued = 0  # tasks in the window waiting for a worker's answer

    def front() -> tuple[Any, Analysis | None]:
        nonlocal queued
        item, slot = window.popleft()
        if slot is None:
            return item, analyse_response(item.task) if item.task is not None else None
        owner, index = slot
        if owner.future is None:
            owner.submit(pool)  # the chunk being filled: the caller needs it now
        queued -= 1
        return item, owner.future.result()[index]

    try:
        for item in items:
            slot = None
            if item.task is not None and not item.task.light:
                if chunk.future is not None:
                    chunk = _Chunk()
                slot = (chunk, len(chunk.tasks))
                chunk.tasks.append(item.task)
                queued += 1
                if len(chunk.tasks) >= CHUNK_SIZE:
                    chunk.submit(pool)
                    chunk = _Chunk()
            window.append((item, slot))
            while queued > CHUNK_SIZE * CHUNKS_AHEAD * jobs or len(window) > MAX_WINDOW:
                yield front()
        while window:
            yield front()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
