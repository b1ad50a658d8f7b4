"""Which keywords of the railway taxonomy over-fire on GermEval 2017 (Deutsche Bahn posts): per
touchpoint and per keyword, how many (post, touchpoint) predictions they make that the gold
labels confirm or not, keyword matching only (the calibrated semantic threshold of `railway`
almost never fires; docs/themes.md "Quality").

A keyword's *sole* counts are the (post, touchpoint) pairs no other keyword of that touchpoint
predicts: removing the keyword removes exactly those. `--drop-below P` names the keywords whose
sole precision on the *tuning* folds is below P with at least `--min-fp` false positives, and
scores keyword-only touchpoint P/R/F1 on the *other* folds with and without them (folds by the
hash of the post id, as scripts/evaluate_themes.py makes them), so the effect of such a rule is
measured on posts it was not chosen on.

`--kinds` breaks the false positives down by kind of post (no specific gold category, i.e. the
annotators' `Allgemein` or nothing; a retweet; a link; a long post; a question) with keyword-only
P/R/F1 on the tuning and the other folds; `--show WORD` prints the clauses of a keyword's false
positives (keywords containing WORD), to read before narrowing it; `--sample N` prints N false
positives of all folds drawn at random (`--seed`), to judge by reading.

    .venv/bin/python scripts/keyword_precision.py                      # all posts, per keyword
    .venv/bin/python scripts/keyword_precision.py --drop-below 0.25 --tune-folds 0,1,2
    .venv/bin/python scripts/keyword_precision.py --kinds --tune-folds 0,1,2,3 --show Tarif
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate_themes import DEFAULT_DATA, detected_languages, folds_of, load_germeval

from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
from feedback_nlp.themes.matcher import ThemeMatcher


def pairs(ds, where: dict | None = None) -> tuple[dict, list[set]]:
    """{(post, touchpoint): set of keywords ("theme:keyword") predicting it}, gold touchpoints;
    `where`, if given, gets the texts of the clauses behind each pair."""
    langs = detected_languages(ds.docs, None)
    clauses = split_clauses(ds.docs["text"].tolist(), list(langs))
    matcher = ThemeMatcher(ds.taxonomy)
    themes = matcher.taxonomy.themes
    found: dict[tuple[int, str], set[str]] = defaultdict(set)
    texts = clauses["clause_text"].tolist()
    for i, (doc, hits) in enumerate(zip(clauses[COMMENT_INDEX], matcher.keyword_hits(clauses))):
        for j, word in hits:
            found[(int(doc), themes[j].touchpoint)].add(f"{themes[j].id}:{word}")
            if where is not None:
                where.setdefault((int(doc), themes[j].touchpoint), []).append(
                    (f"{themes[j].id}:{word}", texts[i])
                )
    gold = [{c.split("#")[0] for c in g} for g in ds.docs["gold"]]
    return found, gold


def kinds_of(text: str, gold: set, clause_texts: list[str]) -> list[str]:
    """The kinds of post a (post, touchpoint) prediction comes from, for the breakdown."""
    out = ["no specific gold" if not gold else "other gold"]
    if re.match(r"^\W*RT\b", text):
        out.append("retweet")
    if "http" in text:
        out.append("link")
    if len(text) > 300:
        out.append("long (> 300 chars)")
    if all(c.rstrip().endswith("?") for c in clause_texts):
        out.append("question clause")
    return out


def print_kinds(ds, found, gold, where, tune: np.ndarray, test: np.ndarray) -> None:
    texts = ds.docs["text"].tolist()
    counts: dict[str, Counter] = defaultdict(Counter)
    for doc, tpid in found:
        if not tune[doc]:
            continue
        right = tpid in gold[doc]
        for kind in kinds_of(texts[doc], gold[doc], [c for _, c in where[(doc, tpid)]]):
            counts[kind]["tp" if right else "fp"] += 1
    print("\nkind of post (tuning folds)         tp    fp  precision")
    for kind, c in sorted(counts.items(), key=lambda kv: -kv[1]["fp"]):
        print(f"  {kind:32s} {c['tp']:5d} {c['fp']:5d}  {c['tp'] / (c['tp'] + c['fp']):.2f}")
    for name, rows in (("tuning folds", tune), ("other folds", test)):
        p, r, f = prf(found, gold, rows, set())
        print(f"keyword-only touchpoint P/R/F1 on the {name}: {p:.3f} / {r:.3f} / {f:.3f}")


def print_clauses(found, gold, where, rows: np.ndarray, word: str) -> None:
    print(f"\nfalse positives of keywords containing {word!r} (tuning folds):")
    for doc, tpid in sorted(found):
        if rows[doc] and tpid not in gold[doc]:
            for kw, text in where[(doc, tpid)]:
                if word.lower() in kw.lower():
                    print(f"  post {doc} {tpid} {kw}: {text[:160]}")


def prf(found, gold, rows: np.ndarray, dropped: set[str]) -> tuple[float, float, float]:
    tp = fp = 0
    for (doc, tpid), words in found.items():
        if not rows[doc] or not (words - dropped):
            continue
        tp, fp = (tp + 1, fp) if tpid in gold[doc] else (tp, fp + 1)
    n_gold = sum(len(g) for g, r in zip(gold, rows) if r)
    p = tp / max(tp + fp, 1)
    r = tp / max(n_gold, 1)
    return p, r, 2 * p * r / max(p + r, 1e-12)


def keyword_counts(found, gold, rows) -> dict[tuple[str, str], Counter]:
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for (doc, tpid), words in found.items():
        if not rows[doc]:
            continue
        right = tpid in gold[doc]
        for w in words:
            c = out[(tpid, w)]
            c["tp" if right else "fp"] += 1
            if len(words) == 1:
                c["sole_tp" if right else "sole_fp"] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--drop-below", type=float, default=None)
    ap.add_argument("--min-fp", type=int, default=3)
    ap.add_argument("--tune-folds", default="0,1,2,3,4", help="folds (of 5) the rule is fitted on")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--kinds", action="store_true", help="false positives by kind of post")
    ap.add_argument("--show", default=None, help="print the false-positive clauses of a keyword")
    ap.add_argument("--sample", type=int, default=0, help="print N random false positives")
    ap.add_argument("--seed", type=int, default=18)
    args = ap.parse_args(argv)
    ds = load_germeval(args.data_dir)
    where: dict = {}
    found, gold = pairs(ds, where)
    folds = folds_of(ds.docs["id"], 5)
    tune = np.isin(folds, [int(f) for f in args.tune_folds.split(",")])
    test = ~tune if (~tune).any() else tune
    counts = keyword_counts(found, gold, tune)

    per_tp: dict[str, Counter] = defaultdict(Counter)
    for doc, tpid in found:
        if tune[doc]:
            per_tp[tpid]["tp" if tpid in gold[doc] else "fp"] += 1
    print("touchpoint                         tp    fp  precision   (tuning folds)")
    for tpid, c in sorted(per_tp.items(), key=lambda kv: -kv[1]["fp"]):
        print(f"{tpid:32s} {c['tp']:5d} {c['fp']:5d}  {c['tp'] / (c['tp'] + c['fp']):.2f}")
    print(
        "\nkeywords by sole false positives (touchpoint, theme:keyword, tp, fp, sole tp, sole fp)"
    )
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1]["sole_fp"], kv[1]["sole_tp"]))
    for (tpid, w), c in ranked[: args.top]:
        print(f"  {tpid:28s} {w:40s} {c['tp']:4d} {c['fp']:4d} {c['sole_tp']:4d} {c['sole_fp']:4d}")

    if args.kinds:
        print_kinds(ds, found, gold, where, tune, test)
    if args.show:
        print_clauses(found, gold, where, tune, args.show)
    if args.sample:
        wrong = sorted(k for k in found if k[1] not in gold[k[0]])
        draw = random.Random(args.seed).sample(wrong, min(args.sample, len(wrong)))
        print(f"\n{len(draw)} false positives drawn at random (seed {args.seed}), all folds:")
        for n, (doc, tpid) in enumerate(draw):
            kw, text = where[(doc, tpid)][0]
            print(f"  {n:3d} post {doc} {tpid} {kw} gold={sorted(gold[doc])}: {text[:150]}")

    if args.drop_below is not None:
        dropped = {
            w
            for (tpid, w), c in counts.items()
            if c["sole_fp"] >= args.min_fp
            and c["sole_tp"] / (c["sole_tp"] + c["sole_fp"]) < args.drop_below
        }
        print(
            f"\nrule: drop keywords with sole precision < {args.drop_below} and sole fp >= "
            f"{args.min_fp} on folds {args.tune_folds}: {len(dropped)}"
        )
        for w in sorted(dropped):
            print(f"  {w}")
        where = "held-out folds" if (~tune).any() else "the same folds"
        before, after = prf(found, gold, test, set()), prf(found, gold, test, dropped)
        print(
            f"keyword-only touchpoint P/R/F1 on {where}: before {before[0]:.3f} / "
            f"{before[1]:.3f} / {before[2]:.3f}, after {after[0]:.3f} / {after[1]:.3f} / "
            f"{after[2]:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
