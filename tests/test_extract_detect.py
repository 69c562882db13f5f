"""``portal-archive detect``: family and evidence for saved files, URLs (by address only) and
replica pages on 127.0.0.1 (fetched)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.replica import serve_in_thread
from tests.replica.families import make_site

GOLD = Path(__file__).parent / "data" / "gold"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "portals" / "html"


def run(*args: str):
    return CliRunner().invoke(main, ["detect", *args])


@pytest.mark.parametrize("family", ["tandan", "nukeviet", "lacviet", "liferay", "qnp"])
def test_saved_gold_page_by_dom(family):
    page = sorted((GOLD / family).glob("gen_*.html"))[0]
    result = run(str(page))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == family and any(" dom: " in line for line in lines[1:])


def test_real_liferay_page():
    result = run(str(REAL / "liferay_sotttt-hanoi_article_702102.html"))
    assert result.stdout.splitlines()[0] == "liferay"


def test_remote_url_is_classified_without_fetching():
    result = run("https://daksong.daknong.gov.vn/Lists/Posts/Post.aspx?ID=12")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "lacviet"
    assert "URL only" in result.stderr
    unknown = run("https://example.gov.vn/about")
    assert unknown.stdout.splitlines()[0] == "generic"


def test_replica_url_is_fetched_for_dom_evidence():
    server, base = serve_in_thread(make_site("nukeviet", articles=8, seed=2))
    try:
        result = run(base)  # the home page: its URL alone says nothing
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "nukeviet" and "dom:" in result.output


def test_neither_url_nor_file():
    result = run("no-such-file.html")
    assert result.exit_code != 0 and "neither" in result.output
