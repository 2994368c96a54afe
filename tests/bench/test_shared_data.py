"""The benchmarks find the shared data relative to the repository (bench/data.py), and no
file of the project names an absolute path to it: a clone in another folder runs them too."""

import subprocess
import sys
from pathlib import Path

from bench import data

ROOT = Path(__file__).resolve().parent.parent.parent


def test_default_is_shared_data_beside_the_project(monkeypatch):
    monkeypatch.delenv(data.ENVIRONMENT_VARIABLE, raising=False)
    assert data.shared_data_dir() == ROOT.parent / "shared" / "data"
    assert data.corpus_path() == ROOT.parent / "shared/data/corpus/arxiv_cs_listings_74k.jsonl.gz"


def test_environment_variable_overrides_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENVIRONMENT_VARIABLE, str(tmp_path))
    assert data.shared_data_dir() == tmp_path.resolve()
    assert data.openalex_dir() == tmp_path.resolve() / "openalex"


def test_argument_overrides_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENVIRONMENT_VARIABLE, str(tmp_path / "from-env"))
    assert data.corpus_path(str(tmp_path / "given")).parent.parent == (tmp_path / "given").resolve()


def test_benchmarks_take_a_data_dir_argument():
    for script in ("build_catalogue.py", "recommend_quality.py", "search.py"):
        result = subprocess.run(
            [sys.executable, str(ROOT / "bench" / script), "--help"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT.parent,  # from another folder: nothing depends on the working directory
        )
        assert "--data-dir" in result.stdout, script


def test_no_tracked_file_names_an_absolute_path_to_the_shared_data():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    absolute = "/work/" + "shared"  # split so that this file does not name it either
    offenders = [
        name
        for name in tracked
        if (ROOT / name).is_file() and absolute in (ROOT / name).read_text(errors="ignore")
    ]
    assert offenders == []
