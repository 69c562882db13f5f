"""Migration m011_run_reports: what each crawl run found, and each portal's health per run.

``crawls`` gains the run report: ``mode`` (full | incremental), ``fetched`` (responses
captured), ``new``, ``changed``, ``unchanged``, ``removed``, ``redated`` (articles),
``errors_by_kind`` (JSON: HTTP statuses, network errors, failed extractions), ``seconds``.

``portal_health``: one row per crawl: ``status`` is ``ok``, ``redirected`` (``target`` says
where), ``dns_failure``, ``tls_failure``, ``http_error`` (``detail`` has the status),
``robots_disallowed``, ``network_error`` or ``unreachable``.
"""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    crawls = db["crawls"]
    crawls.add_column("mode", str)
    for name in ("fetched", "new", "changed", "unchanged", "removed", "redated"):
        crawls.add_column(name, int)
    crawls.add_column("errors_by_kind", str)
    crawls.add_column("seconds", float)
    db["portal_health"].create(
        {"crawl_id": str, "portal_id": str, "checked_at": str, "status": str, "detail": str,
         "target": str},
        pk="crawl_id",
        foreign_keys=[("crawl_id", "crawls", "id"), ("portal_id", "portals", "id")],
    )
    db["portal_health"].create_index(["portal_id", "checked_at"])
