"""scripts/bootstrap_metrics.py: how much of a held-out macro-F1 is the luck of the test draw."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bootstrap_metrics.py"


def _run(metrics: dict, tmp_path: Path) -> dict[str, list[str]]:
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"test": metrics}))
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(path), "--draws", "300"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split()[0]: line.split() for line in out.splitlines()[2:]}


def test_a_perfect_classifier_has_no_spread_and_a_noisy_small_set_a_wide_one(tmp_path):
    rows = _run(
        {
            "big": {"macro_f1": 1.0, "confusion": [[300, 0, 0], [0, 300, 0], [0, 0, 300]]},
            "semeval2016_en": {"macro_f1": 0.6, "confusion": [[20, 3, 2], [2, 2, 2], [3, 2, 30]]},
            "semeval2016_es": {"macro_f1": 0.7, "confusion": [[25, 1, 2], [1, 3, 1], [2, 1, 33]]},
        },
        tmp_path,
    )
    assert rows["big"][1] == "900" and rows["big"][3] == "1.000–1.000"
    low, high = map(float, rows["semeval2016_en"][3].split("–"))
    assert high - low > 0.2  # six neutral sentences: the interval spans tens of points
    assert rows["semeval2016_mean"][1] == "0.650"  # the mean of the two languages' point values
    mean_low, mean_high = map(float, rows["semeval2016_mean"][2].split("–"))
    assert mean_high - mean_low < high - low  # averaging two languages narrows it
