"""Migration m001_core: the core tables (portals, crawls, captures, articles,
article_versions, article_captures, visit_counters)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db["portals"].create(
        {
            "id": str, "name": str, "province": str, "district": str, "base_url": str,
            "family": str, "start_urls": str, "allowed_hosts": str, "confirmed": int,
            "notes": str,
        },
        pk="id",
    )
    db["crawls"].create(
        {
            "id": str, "portal_id": str, "started_at": str, "finished_at": str, "status": str,
            "finish_reason": str, "pages": int, "articles": int, "errors": int, "bytes": int,
            "settings": str, "stats": str,
        },
        pk="id",
        foreign_keys=[("portal_id", "portals", "id")],
    )
    db["captures"].create(
        {
            "id": int, "crawl_id": str, "portal_id": str, "url": str, "status": int,
            "fetched_at": str, "content_type": str, "content_length": int,
            "payload_digest": str, "redirect_to": str, "warc_file": str, "warc_offset": int,
            "warc_length": int, "warc_record_id": str, "request_record_id": str,
            "page_type": str, "extract_status": str, "extract_reason": str,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id"), ("portal_id", "portals", "id")],
    )
    db["captures"].create_index(["warc_record_id"], unique=True)
    db["captures"].create_index(["url"])
    db["captures"].create_index(["crawl_id"])
    db["articles"].create(
        {
            "id": int, "portal_id": str, "article_id": str, "url": str, "title": str,
            "published_at": str, "published_raw": str, "date_precision": str, "author": str,
            "summary": str, "body_text": str, "category": str, "view_count": int,
            "first_captured_at": str, "last_captured_at": str, "versions": int,
            "current_version_id": int, "last_capture_id": int,
        },
        pk="id",
        foreign_keys=[("portal_id", "portals", "id"), ("last_capture_id", "captures", "id")],
    )
    db["articles"].create_index(["portal_id", "article_id"], unique=True)
    db["articles"].create_index(["published_at"])
    db["article_versions"].create(
        {
            "id": int, "article": int, "version": int, "content_hash": str,
            "first_capture_id": int, "first_seen_at": str, "title": str, "published_at": str,
            "published_raw": str, "date_precision": str, "author": str, "author_raw": str,
            "summary": str, "body_text": str, "body_html": str, "category": str,
            "sources": str,
        },
        pk="id",
        foreign_keys=[("article", "articles", "id"), ("first_capture_id", "captures", "id")],
    )
    db["article_versions"].create_index(["article", "content_hash"], unique=True)
    db["article_captures"].create(
        {"article": int, "capture_id": int, "version_id": int, "url": str, "captured_at": str,
         "view_count": int, "view_count_raw": str},
        pk=("article", "capture_id"),
        foreign_keys=[("article", "articles", "id"), ("capture_id", "captures", "id"),
                      ("version_id", "article_versions", "id")],
    )
    db["visit_counters"].create(
        {"id": int, "portal_id": str, "captured_at": str, "capture_id": int, "metric": str,
         "value": int, "label_raw": str, "value_raw": str},
        pk="id",
        foreign_keys=[("portal_id", "portals", "id"), ("capture_id", "captures", "id")],
    )
    db["visit_counters"].create_index(["capture_id", "metric"])
    db["visit_counters"].create_index(["portal_id", "metric", "captured_at"])
