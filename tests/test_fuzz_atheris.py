"""The atheris harness (``tests/fuzz_atheris.py``) in a short bounded run: 2,000 inputs from
a fixed seed, a few seconds (``make fuzz`` runs it for minutes). And proof that the harness
can fail: with an extractor that returns decomposed (NFD) text it stops at once, non-zero,
and saves the crashing input."""

from __future__ import annotations

import subprocess
import sys

from tests.portal_fixture import ROOT

FLAGS = ["-max_len=4096", "-len_control=0"]


def fuzz(tmp_path, *args: str, code: str | None = None) -> subprocess.CompletedProcess:
    run = ["-c", code] if code else ["-m", "tests.fuzz_atheris"]
    return subprocess.run([sys.executable, *run, *FLAGS, f"-artifact_prefix={tmp_path}/",
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_short_fuzz_run_finds_nothing(tmp_path):
    result = fuzz(tmp_path, "-runs=2000", "-seed=1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done 2000 runs" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no crashing input saved


def test_the_harness_reports_a_broken_property(tmp_path):
    broken = (
        "import sys, unicodedata\n"
        "import tests.fuzz_atheris as harness\n"
        "class Record:\n"
        "    def to_dict(self):\n"
        "        return {'title': unicodedata.normalize('NFD', 'Hội nghị')}\n"
        "harness.extract = lambda *args, **kwargs: Record()\n"
        "harness.main(sys.argv)\n")
    result = fuzz(tmp_path, "-runs=100", "-seed=1", code=broken)
    assert result.returncode != 0
    assert "AssertionError: not NFC" in result.stdout + result.stderr
    assert [p.name.split("-")[0] for p in tmp_path.iterdir()] == ["crash"]
