"""The wheel carries everything a user's install needs — the model files of models/, the shipped
taxonomies, the sample export, every subpackage — and `feedback-nlp demo` runs from a fresh
virtual environment that has only the wheel (marked `models`: it runs the real models).

The fresh environment borrows this one's third-party packages through a .pth file (installing
torch and transformers again would take minutes and GBs); feedback-nlp itself comes from the
wheel alone, and the demo runs outside the source tree.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = (
    "feedback_nlp/model_files/sentiment-adapter.safetensors",
    "feedback_nlp/model_files/sentiment.json",
    "feedback_nlp/model_files/metrics.json",
    "feedback_nlp/model_files/README.md",
    "feedback_nlp/examples/nps_sample.csv",
    "feedback_nlp/themes/taxonomies/ecommerce-cx.yaml",
)

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("build")  # setuptools' build/ folder, out of the tree
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(dist), str(ROOT)],
        check=True, capture_output=True, env={**os.environ, "TMPDIR": str(build)},
    )  # fmt: skip
    (found,) = dist.glob("feedback_nlp-*.whl")
    return found


def test_the_wheel_holds_the_model_files_taxonomies_sample_and_subpackages(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in REQUIRED:
        assert required in names, required
    packages = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    source = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "feedback_nlp").rglob("__init__.py")}
    assert source <= packages, f"subpackages missing from the wheel: {source - packages}"
    assert not any(n.startswith(("models/", "tests/", "scripts/")) for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "feedback-nlp = feedback_nlp.cli:main" in text
    assert "feedback_nlp_clauses" in text and "feedback_nlp_themes" in text


def test_demo_runs_from_a_fresh_venv_with_only_the_wheel(wheel, tmp_path, real_models_home):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    (site / "zz_borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    work = tmp_path / "elsewhere"  # not the source tree: nothing can be imported from there
    work.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import feedback_nlp; print(feedback_nlp.__file__)"],
        cwd=work, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert str(site) in where
    env = {**os.environ, "FEEDBACK_NLP_HOME": str(real_models_home)}
    done = subprocess.run(
        [str(venv / "bin" / "feedback-nlp"), "demo", "-o", "out", "--quiet"],
        check=False, cwd=work, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("comments.parquet", "mentions.parquet", "themes.csv", "report.html"):
        assert (work / "out" / name).is_file(), name
