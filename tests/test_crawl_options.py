"""``crawl`` options read the same way on every path: a malformed ``-s`` is one usage error
(in-process, ``--workers``, ``--scrapyd``) before anything starts, and ``--id`` names an
ad-hoc portal only (a registry portal's resume is its own)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crawler.cli import main
from db import ArchiveStore
from tests.archive_crawl import cli
from tests.portal_fixture import write_registry


@pytest.mark.parametrize("extra", [
    ["--url", "http://127.0.0.1:1/"],
    ["--url", "http://127.0.0.1:1/", "--workers", "2"],
    ["binhlieu", "--scrapyd", "http://127.0.0.1:1/"],
])
def test_a_malformed_setting_is_a_usage_error_on_every_path(tmp_path, extra):
    registry = write_registry(tmp_path / "registry.toml", "http://127.0.0.1:1/")
    out = tmp_path / "out"
    for bad in ("NO_EQUALS", "=value"):
        result = CliRunner().invoke(main, ["crawl", *extra, "--registry", str(registry),
                                           "--out", str(out), "-s", "LOG_LEVEL=INFO",
                                           "-s", bad])
        assert result.exit_code == 2, result.output
        assert f"Invalid value for -s: {bad!r}: expected NAME=VALUE" in result.output
        assert "Traceback" not in result.output and not out.exists()


def test_resume_of_a_registry_portal_ignores_id(tmp_path):
    registry = write_registry(tmp_path / "registry.toml", "http://127.0.0.1:1/")
    ArchiveStore(tmp_path / "archive.db").close()
    result = cli("crawl", "binhlieu", "--id", "other", "--resume", "--registry",
                 str(registry), "--out", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].endswith(
        f"nothing to resume: no unfinished crawl of binhlieu in {tmp_path / 'archive.db'}")
