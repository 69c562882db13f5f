"""The registry and the command line: listing, validation errors naming entry and field,
one-line errors and exit statuses, every command documented."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.errors import RegistryError
from crawler.registry import DEFAULT_REGISTRY, adhoc_portal, load_registry

QN_UNITS = {"halong", "campha", "uongbi", "mongcai", "dongtrieu", "quangyen", "bache",
            "binhlieu", "coto", "damha", "haiha", "tienyen", "vandon"}


def test_checked_in_registry_has_quang_ninh_and_every_family():
    portals = load_registry(DEFAULT_REGISTRY)
    assert QN_UNITS | {"quangninh"} <= set(portals)
    assert {p.family for p in portals.values()} >= {"qnp", "tandan", "liferay", "nukeviet",
                                                     "lacviet"}
    assert portals["binhlieu"].allowed_hosts == ["binhlieu.quangninh.gov.vn"]
    assert portals["binhlieu"].confirmed and not portals["halong"].confirmed
    assert portals["coto"].extra["allowed_paths"] == ["/donvi/huyencoto/"]


@pytest.mark.parametrize("entry, message", [
    ('id = "Bad Id"\nname = "x"\nbase_url = "http://a.gov.vn/"',
     "entry #1 field 'id'"),
    ('id = "x"\nname = "x"\nbase_url = "ftp://a.gov.vn/"', "portal 'x' field 'base_url'"),
    ('id = "x"\nname = "x"\nbase_url = "http://a.gov.vn/"\nfamily = "drupal"',
     "portal 'x' field 'family'"),
    ('id = "x"\nname = "x"\nbase_url = "http://a.gov.vn/"\nallowed_hosts = ["a b"]',
     "portal 'x' field 'allowed_hosts'"),
    ('id = "x"\nname = "x"\nbase_url = "http://a.gov.vn/"\nstart_urls = ["http://evil.com/"]',
     "portal 'x' field 'start_urls'"),
    ('id = "../etc"\nname = "x"\nbase_url = "http://a.gov.vn/"', "field 'id'"),
    ('id = "x"\nbase_url = "http://a.gov.vn/"', "portal 'x' field 'name'"),
])
def test_bad_entries_name_entry_and_field(tmp_path, entry, message):
    path = tmp_path / "r.toml"
    path.write_text(f"[[portals]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=message.replace("(", r"\(")):
        load_registry(path)
    result = CliRunner().invoke(main, ["portals", "--registry", str(path)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_duplicate_ids_and_syntax_errors(tmp_path):
    path = tmp_path / "r.toml"
    one = '[[portals]]\nid = "x"\nname = "x"\nbase_url = "http://a.gov.vn/"\n'
    path.write_text(one + one, encoding="utf-8")
    with pytest.raises(RegistryError, match="duplicate id"):
        load_registry(path)
    path.write_text("[[portals]\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="r.toml"):
        load_registry(path)


def test_portals_command_lists_them():
    result = CliRunner().invoke(main, ["portals"])
    assert result.exit_code == 0
    assert "binhlieu" in result.output and "Huyện Bình Liêu" in result.output
    result = CliRunner().invoke(main, ["portals", "--format", "json"])
    assert '"id": "vandon"' in result.output


def test_adhoc_portal_from_url():
    p = adhoc_portal("http://127.0.0.1:8000/", "auto")
    assert p.id == "127-0-0-1-8000" and p.allowed_hosts == ["127.0.0.1"]


def test_crawl_argument_errors_are_one_line():
    runner = CliRunner()
    result = runner.invoke(main, ["crawl", "nosuchportal"])
    assert result.exit_code == 1 and "Unknown portal id" in result.output
    result = runner.invoke(main, ["crawl", "--url", "file:///etc/passwd"])
    assert result.exit_code == 1 and "not an http(s) URL" in result.output
    result = runner.invoke(main, ["crawl"])
    assert result.exit_code == 2
    result = runner.invoke(main, ["reindex", "--db", "x.db", "missing.warc.gz"])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_every_command_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    names = list(main.commands)
    assert names
    for name in names:
        assert f"portal-archive {name}" in readme, name
