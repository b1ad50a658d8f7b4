"""Evaluate and calibrate theme matching on labelled development data; report coverage.

    .venv/bin/python scripts/evaluate_themes.py                       # everything, cached embeddings
    .venv/bin/python scripts/evaluate_themes.py --sets semeval --limit 500   # a quick look
    .venv/bin/python scripts/evaluate_themes.py --write-thresholds    # store calibrated thresholds

Category detection per comment (GermEval 2017 dev: documents, taxonomy `railway`, `Allgemein`
left out) or per sentence (SemEval-2016 restaurants train: six languages, taxonomy
`restaurant`), against the gold categories, at touchpoint level (GermEval main category /
SemEval entity) and theme level (category / ENTITY#ATTRIBUTE): micro-F1 per language.
Semantic thresholds are chosen by 5-fold cross-validation: each fold is scored with thresholds
fitted on the other four, never on its own rows. Polarity accuracy on correctly found categories
uses the clause sentiment of the builtin model (`feedback_nlp.encoders.sentiment`) where it is installed.
Coverage: share of non-empty comments with specific content with at least one theme (taxonomy
or discovered) on the bundled sample and on the development sets; comments with no specific
content ("ok", "terrible", "you are crap": text.content) are counted apart (``nonspecific``).

Clause embeddings are computed as `analyze` computes them
(:func:`feedback_nlp.analysis.models.embed_clauses`, in fp32) and kept in the same result cache
(``results.sqlite`` in ``$FEEDBACK_NLP_HOME``, default ``~/.cache/feedback-nlp``, keyed by encoder
fingerprint, prefix and precision), so reruns skip the encoder. The script's own embedding cache
(``--cache``, ``$FEEDBACK_NLP_EVAL_CACHE``, ``~/.cache/feedback-nlp/eval``) is gone; that folder
can be deleted.

Numbers are printed and written as JSON (``--output``); docs/themes.md records them.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from feedback_nlp import schema as s
from feedback_nlp.analysis.models import embed_clauses
from feedback_nlp.cache import ResultCache, timed_open
from feedback_nlp.encoders.embedder import Embedder
from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
from feedback_nlp.text.content import is_nonspecific
from feedback_nlp.themes.matcher import ThemeMatcher
from feedback_nlp.themes.semantic import (
    SemanticScores,
    arbitrate,
    keyword_kept,
    select_themes,
    semantic_mask,
)
from feedback_nlp.themes.taxonomy_file import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("FEEDBACK_NLP_DATA", ROOT.parent / "shared" / "data"))
SAMPLE = ROOT / "examples" / "nps_sample.csv"
SAMPLE_TEXT_COLUMN = "Why did you give this score?"
# fp32, not analyze's default "auto" (bf16 autocast where the CPU has it): the numbers in
# docs/themes.md and the thresholds shipped in railway.yaml / restaurant.yaml were computed and
# calibrated on fp32 clause vectors, and fp32 gives the same vectors on every machine.
PRECISION = "fp32"

# the grid searched by cross-validation
THRESHOLDS = np.round(np.arange(0.02, 0.1251, 0.005), 3)  # specificity
MARGINS = (0.0, 0.01, 0.02, 0.05)
MAX_THEMES = (1, 2, 3)
NULL_MARGINS = (-1.0, 0.0, 0.01, 0.02)
# precision before breadth (semantic.select_themes): keyword margin 2 keeps every keyword theme;
# beside keyword 0 asks a semantic-only theme beside a keyword theme for no more than the
# threshold, 2 keeps none (both 2 and 0: the rule before)
KEYWORD_MARGINS = (2.0, 0.05, 0.03, 0.02)
BESIDE_KEYWORD = (0.0, 0.02, 0.03, 2.0)
OFF = (9.0, 0.0, 0, -1.0, 2.0, 0.0)  # no semantic matching: keywords only, all of them
# params: (threshold, margin, max themes, null margin, keyword margin, semantic beside keyword)
PARAM_NAMES = (
    "semantic_threshold",
    "semantic_margin",
    "max_semantic_themes",
    "null_margin",
    "keyword_margin",
    "semantic_beside_keyword",
)


# --------------------------------------------------------------------------------------------
# data


@dataclass
class Dataset:
    name: str
    taxonomy: str
    docs: (
        pd.DataFrame
    )  # id, text, lang, gold (set of "TP#THEME"), polarity (dict category -> label)


def _read_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def load_germeval(data_dir: Path) -> Dataset:
    rows = []
    for r in _read_jsonl(data_dir / "germeval2017_dev.jsonl.gz"):
        gold, pol = set(), {}
        for a in r.get("aspects") or []:
            cat = a["category"]
            if cat.startswith("Allgemein#"):
                continue
            gold.add(cat)
            if a.get("polarity"):
                pol.setdefault(cat, []).append(a["polarity"])
        rows.append(
            {"id": r["id"], "text": r["text"], "lang": r["lang"], "gold": gold, "polarity": pol}
        )
    return Dataset("germeval2017_dev", "railway", pd.DataFrame(rows))


def load_semeval(data_dir: Path) -> Dataset:
    rows = []
    for r in _read_jsonl(data_dir / "semeval2016_train.jsonl.gz"):
        gold, pol = set(), {}
        for a in r.get("aspects") or []:
            gold.add(a["category"])
            if a.get("polarity"):
                pol.setdefault(a["category"], []).append(a["polarity"])
        rows.append(
            {"id": r["id"], "text": r["text"], "lang": r["lang"], "gold": gold, "polarity": pol}
        )
    return Dataset("semeval2016_restaurants", "restaurant", pd.DataFrame(rows))


def load_dev_texts(data_dir: Path, name: str) -> pd.DataFrame:
    rows = _read_jsonl(data_dir / f"{name}.jsonl.gz")
    return pd.DataFrame(
        {
            "id": [r["id"] for r in rows],
            "text": [r["text"] for r in rows],
            "lang": [r["lang"] for r in rows],
        }
    )


# --------------------------------------------------------------------------------------------
# embeddings, through analyze's result cache


class ClauseEmbedder:
    """Clause vectors as `analyze` computes them (:func:`embed_clauses`: the "query: " prefix,
    `PRECISION`), read from and added to the result cache `analyze` uses (None: no cache).
    The builtin encoder loads at the first call."""

    def __init__(self, cache: ResultCache | None) -> None:
        self.cache = cache
        self._embedder = None

    def embed(self, texts, progress: bool = True) -> np.ndarray:
        if self._embedder is None:
            self._embedder = Embedder()
        texts = list(texts)
        chunk = 2048
        parts = []
        for start in range(0, len(texts), chunk):
            part = texts[start : start + chunk]
            misses = self.cache.stats.embedding_misses if self.cache is not None else None
            t0 = time.perf_counter()
            parts.append(embed_clauses(self._embedder, part, precision=PRECISION, cache=self.cache))
            computed = self.cache is None or self.cache.stats.embedding_misses != misses
            if progress and computed:
                done = min(start + chunk, len(texts))
                print(
                    f"  embedded {done}/{len(texts)} ({time.perf_counter() - t0:.0f}s)",
                    file=sys.stderr,
                )
        return np.concatenate(parts) if parts else np.zeros((0, self._embedder.dim), np.float32)

    def __call__(self, texts) -> np.ndarray:
        return self.embed(texts, progress=False)


# --------------------------------------------------------------------------------------------
# predictions as matrices


@dataclass
class Prepared:
    docs: pd.DataFrame
    clauses: pd.DataFrame
    scores: SemanticScores  # clauses x themes
    keyword: sparse.csr_matrix  # clauses x themes (keyword hits)
    doc_of_clause: sparse.csr_matrix  # docs x clauses
    theme_keys: list[str]  # "TP#THEME"
    tp_of_theme: np.ndarray
    touchpoints: list[str]
    gold_theme: np.ndarray  # docs x themes (bool)
    gold_tp: np.ndarray  # docs x touchpoints (bool)
    gold_unknown: np.ndarray  # docs: gold categories not in the taxonomy (count, for FN)
    gold_unknown_tp: np.ndarray


def prepare(ds: Dataset, cache: ClauseEmbedder, *, semantic: bool = True) -> Prepared:
    taxonomy = load_taxonomy(ds.taxonomy)
    t0 = time.perf_counter()
    # --lang-from detected: the language a run would identify, not the data's label
    read_lang = ds.docs["read_lang"] if "read_lang" in ds.docs else ds.docs["lang"]
    clauses = split_clauses(ds.docs["text"].tolist(), read_lang.tolist())
    print(
        f"  {ds.name}: {len(ds.docs)} texts -> {len(clauses)} clauses ({time.perf_counter() - t0:.0f}s)",
        file=sys.stderr,
    )
    matcher = ThemeMatcher(taxonomy, embed=cache if semantic else None)
    themes = taxonomy.themes
    theme_keys = [f"{t.touchpoint}#{t.id}" for t in themes]
    col = {k: j for j, k in enumerate(theme_keys)}
    # keyword hits per clause, as (theme index in the taxonomy's order, keyword)
    hits = matcher.keyword_hits(clauses)
    r = [i for i, row in enumerate(hits) for _ in row]
    c = [j for row in hits for j, _ in row]
    keyword = sparse.csr_matrix(
        (np.ones(len(r), dtype=np.int8), (r, c)), shape=(len(clauses), len(themes))
    )
    if semantic and len(clauses):
        vectors = cache.embed(clauses[s.CLAUSE_TEXT].tolist())
        scores = matcher.scores(vectors)
    else:
        empty = np.full((len(clauses), len(themes)), -1.0, dtype=np.float32)
        scores = SemanticScores(empty, empty, np.zeros(len(clauses), dtype=np.float32))
    doc_of_clause = sparse.csr_matrix(
        (
            np.ones(len(clauses), dtype=np.int8),
            (clauses[COMMENT_INDEX].to_numpy(), np.arange(len(clauses))),
        ),
        shape=(len(ds.docs), len(clauses)),
    )
    touchpoints = [tp.id for tp in taxonomy.touchpoints]
    tp_col = {tp: k for k, tp in enumerate(touchpoints)}
    tp_of_theme = np.array([tp_col[t.touchpoint] for t in themes])
    gold_theme = np.zeros((len(ds.docs), len(themes)), dtype=bool)
    gold_tp = np.zeros((len(ds.docs), len(touchpoints)), dtype=bool)
    unknown = np.zeros(len(ds.docs), dtype=np.int64)
    unknown_tp = np.zeros(len(ds.docs), dtype=np.int64)
    for i, gold in enumerate(ds.docs["gold"]):
        tps_unknown = set()
        for cat in gold:
            tp = cat.split("#")[0]
            if cat in col:
                gold_theme[i, col[cat]] = True
            else:
                unknown[i] += 1
            if tp in tp_col:
                gold_tp[i, tp_col[tp]] = True
            else:
                tps_unknown.add(tp)
        unknown_tp[i] = len(tps_unknown)
    return Prepared(
        ds.docs,
        clauses,
        scores,
        keyword,
        doc_of_clause,
        theme_keys,
        tp_of_theme,
        touchpoints,
        gold_theme,
        gold_tp,
        unknown,
        unknown_tp,
    )


def clause_predictions(p: Prepared, params, scores: SemanticScores | None = None, keyword=None):
    """clauses x themes found as `ThemeMatcher.match` finds them (semantic.select_themes), with
    params = (threshold, margin, max themes, null margin, keyword margin, beside keyword)."""
    scores = p.scores if scores is None else scores
    keyword = p.keyword.toarray() > 0 if keyword is None else keyword
    kept, semantic = select_themes(scores, keyword, *params)
    return kept | semantic


def doc_predictions(p: Prepared, params) -> np.ndarray:
    """docs x themes: found in any clause of the doc (clause_predictions)."""
    clause_pred = clause_predictions(p, params)
    return (p.doc_of_clause @ sparse.csr_matrix(clause_pred.astype(np.int8))).toarray() > 0


def to_touchpoints(p: Prepared, theme_pred: np.ndarray) -> np.ndarray:
    out = np.zeros((theme_pred.shape[0], len(p.touchpoints)), dtype=bool)
    for j, tp in enumerate(p.tp_of_theme):
        out[:, tp] |= theme_pred[:, j]
    return out


def micro(pred: np.ndarray, gold: np.ndarray, extra_fn: np.ndarray) -> dict:
    tp = int((pred & gold).sum())
    fp = int((pred & ~gold).sum())
    fn = int((~pred & gold).sum() + extra_fn.sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "f1": round(f1, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def folds_of(ids: pd.Series, n_folds: int) -> np.ndarray:
    """Deterministic folds from a hash of each id (stable across runs and machines)."""
    return np.array([int(hashlib.md5(str(i).encode()).hexdigest(), 16) % n_folds for i in ids])


GRID = [
    (float(t), m, k, nm, km, bk)
    for t in THRESHOLDS
    for m in MARGINS
    for k in MAX_THEMES
    for nm in NULL_MARGINS
    for km in KEYWORD_MARGINS
    for bk in BESIDE_KEYWORD
] + [OFF]


def _grid_counts(p: Prepared, folds: np.ndarray, n_folds: int, level: str) -> np.ndarray:
    """(grid, folds, 3): tp, fp, fn of each grid setting on each fold's rows. Micro-F1 of any
    set of folds follows from the sums, so each setting is applied once, to all rows."""
    gold = p.gold_tp if level == "touchpoint" else p.gold_theme
    extra = p.gold_unknown_tp if level == "touchpoint" else p.gold_unknown
    keyword = p.keyword.toarray() > 0
    spec = p.scores.specificity
    kept = {km: keyword_kept(spec, keyword, km) for km in {g[4] for g in GRID}}
    D = sparse.csr_matrix(p.doc_of_clause, dtype=np.float32)
    if level == "touchpoint":  # float32: BLAS
        reduce = np.zeros((len(p.tp_of_theme), len(p.touchpoints)), dtype=np.float32)
        reduce[np.arange(len(p.tp_of_theme)), p.tp_of_theme] = 1
    else:
        reduce = np.eye(len(p.tp_of_theme), dtype=np.float32)
    gold_of = np.bincount(folds, weights=gold.sum(axis=1) + extra, minlength=n_folds)
    out = np.zeros((len(GRID), n_folds, 3), dtype=np.int64)
    semantic, base = None, None
    for g, params in enumerate(GRID):
        if params[:4] != base:  # GRID varies the keyword rules innermost
            base = params[:4]
            semantic = semantic_mask(p.scores, *base)
        k, s_ = arbitrate(spec, keyword, semantic, params[0], *params[4:], kept=kept[params[4]])
        pred = (D @ ((k | s_).astype(np.float32) @ reduce)) > 0
        hit = np.bincount(folds, weights=(pred & gold).sum(axis=1), minlength=n_folds)
        found = np.bincount(folds, weights=pred.sum(axis=1), minlength=n_folds)
        out[g] = np.stack([hit, found - hit, gold_of - hit], axis=1)
    return out


def _f1(counts: np.ndarray) -> np.ndarray:
    """micro-F1 (rounded as `micro` rounds) from (..., 3) tp, fp, fn."""
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    return np.round(f1, 4)


def _best(f1: np.ndarray) -> tuple:
    # ties: the stricter setting (higher threshold, then smaller margin, fewer themes, then the
    # stricter keyword rules)
    return max(
        zip(f1.tolist(), GRID),
        key=lambda x: (x[0], x[1][0], -x[1][1], -x[1][2], -x[1][4], -x[1][5]),
    )[1]


def cross_validate(p: Prepared, *, n_folds: int = 5, level: str = "touchpoint") -> dict:
    """Thresholds per fold chosen on the other folds; predictions of each fold with its own."""
    folds = folds_of(p.docs["id"], n_folds)
    counts = _grid_counts(p, folds, n_folds, level)
    theme_pred = np.zeros_like(p.gold_theme)
    chosen = []
    for f in range(n_folds):
        others = np.delete(np.arange(n_folds), f)
        best = _best(_f1(counts[:, others].sum(axis=1)))
        chosen.append(best)
        test = folds == f
        theme_pred[test] = doc_predictions(p, best)[test]
    full = _best(_f1(counts.sum(axis=1)))
    return {"theme_pred": theme_pred, "fold_params": chosen, "all_data_params": full}


# The file each set comes from in ../shared/data: the builtin sentiment model trained on its
# "train" part (scripts/sentiment_data.py, split by hash of file + id), so polarity is also
# reported on the other rows alone.
SENTIMENT_SOURCE = {
    "germeval2017_dev": "germeval2017_dev",
    "semeval2016_restaurants": "semeval2016_train",
}


def polarity_accuracy(
    p: Prepared,
    theme_pred: np.ndarray,
    clause_probs: np.ndarray | None,
    params: tuple,
    source: str | None = None,
) -> dict | None:
    """Accuracy of the predicted polarity on correctly found categories (gold polarity = the
    majority of the category's aspects; ties and 'conflict' skipped). A category's predicted
    polarity comes from the clauses that carry it: the mean of their sentiment probabilities."""
    if clause_probs is None:
        return None
    labels = np.array(["negative", "neutral", "positive"])
    clause_pred = clause_predictions(p, params)
    D = p.doc_of_clause.tocsr()
    correct = total = 0
    gold_counts: dict[str, int] = {}
    per_lang: dict[str, list[int]] = {}
    confusion: dict[str, dict[str, int]] = {}  # gold -> predicted -> categories
    held_out = [0, 0]  # correct, total on rows the sentiment model never trained on
    if source is not None:
        from sentiment_data import split_of  # a sibling script: scripts/ leads sys.path

        unseen = [split_of(source, str(i)) != "train" for i in p.docs["id"]]
    else:
        unseen = [False] * len(p.docs)
    for i in range(len(p.docs)):
        clause_idx = D[i].nonzero()[1]
        for j in np.flatnonzero(theme_pred[i] & p.gold_theme[i]):
            votes = p.docs["polarity"].iloc[i].get(p.theme_keys[j], [])
            if not votes:
                continue
            counts = pd.Series(votes).value_counts()
            if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
                continue
            gold = counts.index[0]
            carriers = [c for c in clause_idx if clause_pred[c, j]] or list(clause_idx)
            pred = labels[clause_probs[carriers].mean(axis=0).argmax()]
            ok = int(pred == gold)
            confusion.setdefault(gold, {}).setdefault(str(pred), 0)
            confusion[gold][str(pred)] += 1
            correct += ok
            if unseen[i]:
                held_out[0] += ok
                held_out[1] += 1
            gold_counts[gold] = gold_counts.get(gold, 0) + 1
            total += 1
            per_lang.setdefault(p.docs["lang"].iloc[i], [0, 0])
            per_lang[p.docs["lang"].iloc[i]][0] += ok
            per_lang[p.docs["lang"].iloc[i]][1] += 1
    return {
        "accuracy": round(correct / total, 4) if total else None,
        "n": total,
        "majority_baseline": round(max(gold_counts.values()) / total, 4) if total else None,
        "per_language": {lg: round(c / n, 4) for lg, (c, n) in sorted(per_lang.items())},
        "confusion": {g: dict(sorted(row.items())) for g, row in sorted(confusion.items())},
        "held_out": {
            "accuracy": round(held_out[0] / held_out[1], 4) if held_out[1] else None,
            "n": held_out[1],
        },
    }


def clause_sentiment(clauses: pd.DataFrame) -> np.ndarray | None:
    try:
        from feedback_nlp.encoders.sentiment import SentimentModel

        model = SentimentModel.load()
    except Exception as exc:  # noqa: BLE001 - report any reason the model is unavailable
        print(
            f"  sentiment model unavailable: {type(exc).__name__}: {str(exc)[:200]}",
            file=sys.stderr,
        )
        return None
    return model.predict(clauses[s.CLAUSE_TEXT].tolist(), lang=clauses[s.LANG].tolist())


# --------------------------------------------------------------------------------------------
# reports


def evaluate(
    ds: Dataset, cache: ClauseEmbedder, *, n_folds: int, semantic: bool, sentiment: bool
) -> dict:
    p = prepare(ds, cache, semantic=semantic)
    result: dict = {
        "dataset": ds.name,
        "taxonomy": ds.taxonomy,
        "texts": len(ds.docs),
        "clauses": len(p.clauses),
    }
    kw_only = doc_predictions(p, OFF)
    for level in ("touchpoint",):
        cv = (
            cross_validate(p, n_folds=n_folds, level=level)
            if semantic
            else {
                "theme_pred": kw_only,
                "fold_params": [],
                "all_data_params": OFF,
                "all_data_f1": None,
            }
        )
        pred_theme = cv["theme_pred"]
        pred_tp = to_touchpoints(p, pred_theme)
        langs = sorted(ds.docs["lang"].unique())
        rows = {}
        for lang in ["all", *langs]:
            m = (
                np.ones(len(ds.docs), bool)
                if lang == "all"
                else (ds.docs["lang"] == lang).to_numpy()
            )
            rows[lang] = {
                "texts": int(m.sum()),
                "touchpoint": micro(pred_tp[m], p.gold_tp[m], p.gold_unknown_tp[m]),
                "theme": micro(pred_theme[m], p.gold_theme[m], p.gold_unknown[m]),
                "touchpoint_keyword_only": micro(
                    to_touchpoints(p, kw_only)[m], p.gold_tp[m], p.gold_unknown_tp[m]
                ),
                "theme_keyword_only": micro(kw_only[m], p.gold_theme[m], p.gold_unknown[m]),
                "coverage_taxonomy": round(float(pred_theme[m].any(axis=1).mean()), 4),
            }
        result["cv"] = rows
        result["cv_fold_params"] = [list(map(float, x)) for x in cv["fold_params"]]
        result["all_data_params"] = list(map(float, cv["all_data_params"]))
        f1s = [rows[lg]["touchpoint"]["f1"] for lg in langs]
        result["touchpoint_f1_mean_over_languages"] = round(float(np.mean(f1s)), 4)
    if sentiment:
        probs = clause_sentiment(p.clauses)
        params = list(result["all_data_params"])
        params[2] = int(params[2])
        result["polarity"] = (
            polarity_accuracy(
                p, pred_theme, probs, tuple(params), source=SENTIMENT_SOURCE.get(ds.name)
            )
            if probs is not None
            else "missing: no sentiment model"
        )
    return result


def coverage(
    texts: pd.Series,
    langs: pd.Series,
    taxonomy: str,
    cache: ClauseEmbedder,
    *,
    discover: bool,
    sentiment: bool,
) -> dict:
    """Share of non-empty texts with specific content (text.content: "ok", "terrible" alone
    have none; their number is given as ``nonspecific``) with at least one theme: by keyword,
    by the taxonomy (keyword or semantic), and with discovered themes (on negative/mixed
    clauses when a sentiment model is there, else on all unclaimed clauses)."""
    from feedback_nlp.themes.discover import discover_themes

    texts = texts.fillna("").astype(str).reset_index(drop=True)
    langs = list(langs)
    present = texts.str.strip().ne("").to_numpy()
    vague = present & np.array([is_nonspecific(t, lang) for t, lang in zip(texts, langs)], bool)
    specific = set(np.flatnonzero(present & ~vague))
    n = max(1, len(specific))
    clauses = split_clauses(texts.tolist(), langs)
    matcher = ThemeMatcher(taxonomy, embed=cache)
    vectors = cache.embed(clauses[s.CLAUSE_TEXT].tolist())
    mentions = matcher.match(clauses, embeddings=vectors)
    covered = set(mentions[COMMENT_INDEX]) & specific
    keyword = len(set(mentions.loc[mentions[s.MATCH] == "keyword", COMMENT_INDEX]) & specific)
    out = {
        "comments": int(present.sum()),
        "nonspecific": int(vague.sum()),
        "keyword": round(keyword / n, 4),
        "taxonomy": round(len(covered) / n, 4),
    }
    if discover:
        probs = clause_sentiment(clauses) if sentiment else None
        frame = None
        if probs is not None:
            frame = pd.DataFrame(
                {s.P_NEGATIVE: probs[:, 0], s.SENTIMENT_SCORE: probs[:, 2] - probs[:, 0]}
            )
        found = discover_themes(clauses, mentions, vectors, matcher=matcher, clause_sentiment=frame)
        covered |= set(found[COMMENT_INDEX]) & specific
        themes = found.drop_duplicates([s.TOUCHPOINT, s.THEME]) if len(found) else found
        out["discovered_on"] = (
            "negative/mixed clauses"
            if frame is not None
            else "all unclaimed clauses (no sentiment model)"
        )
        out["discovered_themes"] = [
            f"{tp}/{label} ({int((found[s.THEME] == th).sum())})"
            for tp, th, label in zip(themes[s.TOUCHPOINT], themes[s.THEME], themes["label"])
        ]
        out["with_discovered"] = round(len(covered) / n, 4)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument(
        "--lang-from",
        choices=("data", "detected"),
        default="data",
        help="clause language: the data's label, or identified as `clean` does (each of the "
        "set's languages read as one file, as an export per market would be)",
    )
    ap.add_argument(
        "--lingua-languages",
        default=None,
        help="with --lang-from detected: the languages lingua chooses among (comma-separated; "
        "default schema.SUPPORTED_LANGUAGES), to measure the set before it was extended",
    )
    ap.add_argument("--sets", default="germeval,semeval,sample,coverage")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--limit", type=int, default=0, help="only the first N texts of each set")
    ap.add_argument("--no-semantic", action="store_true")
    ap.add_argument("--no-sentiment", action="store_true")
    ap.add_argument("--no-discover", action="store_true")
    ap.add_argument("--output", type=Path, default=None, help="write the numbers as JSON")
    ap.add_argument(
        "--write-thresholds",
        action="store_true",
        help="write the all-data calibrated thresholds into the shipped taxonomy files",
    )
    args = ap.parse_args(argv)

    results, _ = timed_open(True)  # analyze's result cache (None where it cannot be opened)
    try:
        return evaluate_sets(args, argv, ClauseEmbedder(results))
    finally:
        if results is not None:
            results.close()


def detected_languages(docs: pd.DataFrame, lingua_languages: str | None) -> list[str]:
    """The languages `clean` would identify, each of the set's languages read as one file; with
    `lingua_languages`, lingua chooses among those only (to measure an earlier language set)."""
    from feedback_nlp.text import language

    if lingua_languages:
        language._detector.cache_clear()
        language.SUPPORTED_LANGUAGES = tuple(lingua_languages.split(","))
    found = language.identify_languages(docs["text"].tolist(), files=docs["lang"].tolist())
    counts = pd.crosstab(docs["lang"], pd.Series(found.codes, name="read as"))
    print(f"  languages read as (data language x identified):\n{counts.to_string()}")
    return found.codes


def evaluate_sets(args: argparse.Namespace, argv: list[str] | None, cache: ClauseEmbedder) -> int:
    sets = set(args.sets.split(","))
    report: dict = {"command": " ".join(["scripts/evaluate_themes.py", *(argv or sys.argv[1:])])}
    semantic = not args.no_semantic
    loaders = {"germeval": load_germeval, "semeval": load_semeval}
    for key in ("germeval", "semeval"):
        if key not in sets:
            continue
        ds = loaders[key](args.data_dir)
        if args.limit:
            ds.docs = ds.docs.iloc[: args.limit].reset_index(drop=True)
        if args.lang_from == "detected":
            ds.docs["read_lang"] = detected_languages(ds.docs, args.lingua_languages)
        res = evaluate(
            ds, cache, n_folds=args.folds, semantic=semantic, sentiment=not args.no_sentiment
        )
        report[key] = res
        print_result(res)
        if args.write_thresholds and semantic:
            write_thresholds(ds.taxonomy, res["all_data_params"])
    if "sample" in sets and SAMPLE.exists():
        df = pd.read_csv(SAMPLE)
        from feedback_nlp.text.clean import clean  # language identification as analyze does it

        cleaned = clean(pd.DataFrame({s.TEXT: df[SAMPLE_TEXT_COLUMN]}))
        analysed = cleaned[s.STATUS].isna()  # not empty, not a non-answer, not a duplicate
        report["sample_coverage"] = coverage(
            cleaned[s.TEXT].where(analysed, ""),
            cleaned[s.LANG],
            "ecommerce-cx",
            cache,
            discover=not args.no_discover,
            sentiment=not args.no_sentiment,
        )
        print(f"\nbundled sample ({SAMPLE.name}, ecommerce-cx): {report['sample_coverage']}")
    if "coverage" in sets:
        report["dev_coverage"] = {}
        for name, tax, lang_override in (
            ("germeval2017_dev", "railway", None),
            ("semeval2016_train", "restaurant", None),
            ("airline_tweets_en", "ecommerce-cx", None),
            ("polemo_hotels_products_pl", "ecommerce-cx", None),
            ("th_review_shopping", "ecommerce-cx", None),
        ):
            path = args.data_dir / f"{name}.jsonl.gz"
            if not path.exists():
                continue
            df = load_dev_texts(args.data_dir, name)
            if args.limit:
                df = df.iloc[: args.limit]
            elif len(df) > 3000:
                df = df.sample(3000, random_state=0).sort_index()
            res = coverage(
                df["text"],
                df["lang"],
                tax,
                cache,
                discover=not args.no_discover,
                sentiment=not args.no_sentiment,
            )
            report["dev_coverage"][f"{name} ({tax})"] = res
            print(f"coverage {name} ({tax}): {res}")
    if args.output:
        args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    return 0


def print_result(res: dict) -> None:
    print(
        f"\n== {res['dataset']} (taxonomy {res['taxonomy']}): {res['texts']} texts, {res['clauses']} clauses"
    )
    print(f"   thresholds per fold ({', '.join(PARAM_NAMES)}): {res['cv_fold_params']}")
    print(f"   all-data thresholds: {res['all_data_params']}")
    print(
        f"   {'lang':5} {'n':>6}  {'touchpoint F1 (P/R)':>22}  {'theme F1 (P/R)':>22}  {'kw-only tp F1':>13}  coverage"
    )
    for lang, r in res["cv"].items():
        tp, th = r["touchpoint"], r["theme"]
        print(
            f"   {lang:5} {r['texts']:6d}  {tp['f1']:.3f} ({tp['precision']:.2f}/{tp['recall']:.2f})      "
            f"{th['f1']:.3f} ({th['precision']:.2f}/{th['recall']:.2f})      {r['touchpoint_keyword_only']['f1']:.3f}        "
            f"{r['coverage_taxonomy']:.2f}"
        )
    print(f"   touchpoint F1 mean over languages: {res['touchpoint_f1_mean_over_languages']}")
    if "polarity" in res:
        print(f"   polarity accuracy on correctly found categories: {res['polarity']}")


def write_thresholds(taxonomy: str, params) -> None:
    """Rewrite the `matching:` block of a shipped taxonomy with calibrated values."""
    import re

    path = ROOT / "feedback_nlp" / "themes" / "taxonomies" / f"{taxonomy}.yaml"
    values = dict(zip(PARAM_NAMES, params))
    values["semantic_threshold"] = min(values["semantic_threshold"], 1.0)
    block = (
        "matching:  # calibrated by scripts/evaluate_themes.py (5-fold CV); see docs/themes.md\n"
    )
    for name, value in values.items():
        block += (
            f"  {name}: {int(value)}\n"
            if name == "max_semantic_themes"
            else f"  {name}: {value:.3f}\n"
        )
    text = path.read_text(encoding="utf-8")
    if re.search(r"^matching:.*?(?=^\S)", text, flags=re.DOTALL | re.MULTILINE):
        text = re.sub(
            r"^matching:.*?(?=^\S)", block + "\n", text, count=1, flags=re.DOTALL | re.MULTILINE
        )
    else:
        text = text.replace("\ntouchpoints:", "\n" + block + "\ntouchpoints:", 1)
    path.write_text(text, encoding="utf-8")
    print(f"   wrote thresholds into {path.relative_to(ROOT)}")


if __name__ == "__main__":
    raise SystemExit(main())
