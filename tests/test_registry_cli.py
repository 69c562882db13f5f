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


BASE = 'id = "x"\nname = "x"\nbase_url = "http://a.gov.vn/"\n'


@pytest.mark.parametrize("line, message", [
    ('famly = "qnp"', "portal 'x' field 'famly': unknown field; did you mean 'family'?"),
    ('shedule = "0 2 * * *"',
     "portal 'x' field 'shedule': unknown field; did you mean 'schedule'?"),
    ('allowed_host = ["a.gov.vn"]', "did you mean 'allowed_hosts'?"),
    ('colour = "blue"', "portal 'x' field 'colour': unknown field; known fields: id, name"),
    ('confirmed = "no"', "portal 'x' field 'confirmed': expected true or false (no quotes)"),
    ("confirmed = 0", "portal 'x' field 'confirmed': expected true or false"),
    ("province = 5", "portal 'x' field 'province': expected a string, got 5"),
    ("notes = ['a']", "portal 'x' field 'notes': expected a string"),
    ('start_urls = "http://a.gov.vn/"', "portal 'x' field 'start_urls': expected a list"),
    ("allowed_paths = [1]", "portal 'x' field 'allowed_paths': expected a list of strings"),
    ('allowed_paths = ["donvi/x/"]', "portal 'x' field 'allowed_paths': 'donvi/x/' must start"),
    ('timezone = "Mars/Olympus"', "portal 'x' field 'timezone': unknown time zone"),
    ('mode = "sometimes"', "portal 'x' field 'mode'"),
    ('window = 22', "portal 'x' field 'window'"),
])
def test_typos_and_wrong_types_are_errors(tmp_path, line, message):
    path = tmp_path / "r.toml"
    path.write_text(f"[[portals]]\n{BASE}{line}\n", encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert message in str(info.value)
    result = CliRunner().invoke(main, ["portals", "--registry", str(path)])
    assert result.exit_code == 1 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_every_known_field_loads_with_its_type(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(
        f"[[portals]]\n{BASE}"
        'province = "Quảng Ninh"\ndistrict = "Huyện Cô Tô"\nfamily = "qnp"\n'
        'start_urls = ["http://a.gov.vn/donvi/x/"]\nallowed_hosts = ["a.gov.vn"]\n'
        'confirmed = false\nnotes = "n"\nallowed_paths = ["/donvi/x/"]\n'
        'schedule = "0 2 * * *"\ntimezone = "Asia/Bangkok"\nmode = "incremental"\n'
        'concurrency = 1\ndelay = 2.5\nwindow = "22:00-05:00"\n', encoding="utf-8")
    portal = load_registry(path)["x"]
    assert portal.confirmed is False and portal.timezone == "Asia/Bangkok"
    assert portal.extra == {"allowed_paths": ["/donvi/x/"], "concurrency": 1, "delay": 2.5,
                            "window": "22:00-05:00", "timezone": "Asia/Bangkok"}
    # A window without a schedule still has its zone (manual crawls keep to the window).
    path.write_text(f'[[portals]]\n{BASE}window = "22:00-05:00"\ntimezone = "UTC"\n',
                    encoding="utf-8")
    assert load_registry(path)["x"].timezone == "UTC"


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
    assert result.exit_code == 2 and "not an http(s) URL" in result.output
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
