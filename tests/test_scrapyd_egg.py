"""The egg deployed to Scrapyd nodes: what it holds, and that Python imports the project
from it (no server needed; the deploy itself is exercised in test_scrapyd_e2e)."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

from crawler.cluster.deploy import PACKAGES, build_egg


def test_egg_holds_the_packages_data_and_scrapy_entry_point(tmp_path):
    egg = tmp_path / "portal_archive.egg"
    egg.write_bytes(build_egg(version="7"))
    names = set(zipfile.ZipFile(egg).namelist())
    for package in PACKAGES:
        assert f"{package}/__init__.py" in names
    assert {"portals.toml", "db/datasette/metadata.json", "spiders/portal.py",
            "db/migrations/m001_core.py"} <= names
    assert not any(n.startswith("tests/") or "__pycache__" in n for n in names)
    with zipfile.ZipFile(egg) as z:
        assert z.read("EGG-INFO/entry_points.txt") == b"[scrapy]\nsettings = crawler.settings\n"
        assert b"Version: 7" in z.read("EGG-INFO/PKG-INFO")
    assert build_egg(version="7") == egg.read_bytes()  # deterministic


def test_project_imports_from_the_egg(tmp_path):
    egg = tmp_path / "portal_archive.egg"
    egg.write_bytes(build_egg())
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import spiders.portal, db.schema; "
            "print(spiders.portal.__file__); print(db.schema.SCHEMA_VERSION)")
    run = subprocess.run([sys.executable, "-c", code, str(egg)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    where, version = run.stdout.split()
    assert where.startswith(str(egg))
    from db.schema import SCHEMA_VERSION

    assert int(version) == SCHEMA_VERSION  # migrations are found inside the zip too


def test_modules_load_from_the_egg_s_bytecode_or_else_their_source(tmp_path):
    egg = build_egg()
    names = set(zipfile.ZipFile(io.BytesIO(egg)).namelist())
    assert {"spiders/portal.pyc", "crawler/__init__.pyc", "db/migrations/m001_core.pyc"} <= names
    # Bytecode of another Python version (wrong magic number) is passed over for the source.
    stale = tmp_path / "stale.egg"
    with zipfile.ZipFile(io.BytesIO(egg)) as src, zipfile.ZipFile(stale, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, b"\0\0\0\0" + data[4:] if info.filename.endswith(".pyc")
                         else data)
    fresh = tmp_path / "fresh.egg"
    fresh.write_bytes(egg)
    code = "import sys; sys.path.insert(0, sys.argv[1]); import spiders.portal; " \
           "print(spiders.portal.__file__)"
    for path, suffix in ((fresh, ".pyc"), (stale, ".py")):
        run = subprocess.run([sys.executable, "-c", code, str(path)], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == f"{path}/spiders/portal{suffix}"
