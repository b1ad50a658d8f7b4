"""How good is the sentiment on a labelled file: accuracy, macro-F1 and the confusion matrix,
overall and per language (`feedback-nlp evaluate`).

Labels may be words (negative / neutral / positive, in several spellings and languages), stars
(1-5: 1-2 negative, 3 neutral, 4-5 positive), NPS scores (0-10: 0-6 negative, 7-8 neutral, 9-10
positive) or polarities (-1 / 0 / 1); the kind is decided from the whole column.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.errors import ColumnError

LABELS = s.SENTIMENT_LABELS
_WORDS = {
    "negative": (
        "negative",
        "neg",
        "bad",
        "minus",
        "negativ",
        "negatywny",
        "négatif",
        "negatif",
        "negativo",
        "negativa",
        "detractor",
    ),
    "neutral": (
        "neutral",
        "neu",
        "neut",
        "zero",
        "none",
        "mixed",
        "neutralny",
        "neutre",
        "neutro",
        "passive",
    ),
    "positive": (
        "positive",
        "pos",
        "good",
        "plus",
        "positiv",
        "pozytywny",
        "positif",
        "positivo",
        "positiva",
        "promoter",
    ),
}
_WORD_TO_LABEL = {w: label for label, words in _WORDS.items() for w in words}


def _norm(value: object) -> str:
    return re.sub(r"[^\w]+", " ", str(value).strip().lower()).strip()


def normalize_labels(values: pd.Series) -> tuple[pd.Series, str]:
    """Gold labels as negative/neutral/positive (None where unusable) and the kind detected."""
    present = values.dropna()
    present = present[present.astype(str).str.strip() != ""]
    numeric = pd.to_numeric(present, errors="coerce")
    if len(present) and numeric.notna().all():
        lo, hi = numeric.min(), numeric.max()
        if lo >= -1 and hi <= 1:
            kind, cut = "polarity", lambda v: LABELS[int(np.sign(v)) + 1]
        elif lo >= 1 and hi <= 5:
            kind = "stars"
            cut = lambda v: "negative" if v <= 2 else "neutral" if v < 4 else "positive"
        elif lo >= 0 and hi <= 10:
            kind = "nps"
            cut = lambda v: "negative" if v <= 6 else "neutral" if v <= 8 else "positive"
        else:
            raise ColumnError(
                f"Label values run from {lo:g} to {hi:g}: expected stars (1-5), NPS (0-10), "
                "polarities (-1, 0, 1) or words (negative, neutral, positive)."
            )
        num = pd.to_numeric(values, errors="coerce")
        return num.map(lambda v: None if pd.isna(v) else cut(v)), kind
    mapped = values.map(lambda v: None if pd.isna(v) else _WORD_TO_LABEL.get(_norm(v)))
    unknown = sorted({_norm(v) for v, m in zip(values, mapped) if m is None and not pd.isna(v)})
    unknown = [u for u in unknown if u]
    if unknown and mapped.notna().sum() == 0:
        raise ColumnError(
            f"Cannot read the labels: found {', '.join(unknown[:8])}; expected words "
            "(negative, neutral, positive), stars 1-5, NPS 0-10 or -1/0/1. Pick another "
            "--label-col."
        )
    return mapped, "words"


def _metrics(gold: list[str], pred: list[str]) -> dict:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    labels = [lab for lab in LABELS if lab in set(gold) | set(pred)]
    return {
        "n": len(gold),
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(
            float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)), 4
        ),
        "labels": list(LABELS),
        # rows = gold, columns = predicted, in the order of `labels`
        "confusion": confusion_matrix(gold, pred, labels=list(LABELS)).tolist(),
    }


def evaluate_sentiment(
    frame: pd.DataFrame,
    *,
    label_col: str,
    predict: Callable[[list[str], list[str]], np.ndarray],
) -> dict:
    """Metrics overall and per language. `frame` is a cleaned canonical frame (with `text`,
    `lang`, `status`) holding the gold labels in `label_col`; `predict(texts, langs)` returns
    (n, 3) probabilities (negative, neutral, positive)."""
    s.require_columns(frame, [s.TEXT, s.LANG, label_col], what="evaluate_sentiment()")
    gold, kind = normalize_labels(frame[label_col])
    usable = gold.notna() & frame[s.STATUS].isna()
    rows = frame[usable]
    texts = rows[s.TEXT].astype(str).tolist()
    langs = rows[s.LANG].fillna(s.UNDETERMINED).astype(str).tolist()
    probs = predict(texts, langs) if texts else np.zeros((0, 3))
    pred = [LABELS[i] for i in np.asarray(probs).argmax(axis=1)]
    gold_list = gold[usable].tolist()
    result = {
        "label_kind": kind,
        "rows": len(frame),
        "evaluated": len(rows),
        "skipped": int(len(frame) - len(rows)),
        "overall": _metrics(gold_list, pred) if texts else None,
        "languages": {},
    }
    by_lang: dict[str, list[int]] = {}
    for i, lang in enumerate(langs):
        by_lang.setdefault(lang, []).append(i)
    for lang in sorted(by_lang):
        idx = by_lang[lang]
        result["languages"][lang] = _metrics([gold_list[i] for i in idx], [pred[i] for i in idx])
    if result["languages"]:
        result["mean_macro_f1_over_languages"] = round(
            float(np.mean([m["macro_f1"] for m in result["languages"].values()])), 4
        )
    return result
