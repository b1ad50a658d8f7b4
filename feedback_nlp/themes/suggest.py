"""A taxonomy of the discovered themes of an analysis (``feedback-nlp taxonomy suggest``).

Each discovered theme becomes a theme of the touchpoint it was placed under (or ``other``):
its id the slug of its label, its keywords the key phrases per language, its examples the
2-3 most central clauses of different comments (as they are in the analysis: PII-redacted
where the run redacted it). The result is a taxonomy file (contract 3) to review, then pass
with ``--taxonomy`` or copy into one's own.

>>> data = suggest_taxonomy(mentions, source="export.csv")               # doctest: +SKIP
>>> yaml.safe_dump(data, allow_unicode=True, sort_keys=False)            # doctest: +SKIP
"""

from __future__ import annotations

import re

import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.themes.discovered_labels import parse_key_phrases
from feedback_nlp.themes.taxonomy import OTHER_TOUCHPOINT

MATCH_DISCOVERED = "discovered"
EXAMPLES = 3  # quotes kept per suggested theme
_SLUG = re.compile(r"[^\w]+")
_LANG = re.compile(r"^[a-z]{2,3}$")


def _slug(text: str) -> str:
    return _SLUG.sub("_", str(text).lower()).strip("_") or "theme"


def has_discovered(mentions: pd.DataFrame) -> bool:
    return s.MATCH in mentions.columns and bool((mentions[s.MATCH] == MATCH_DISCOVERED).any())


def suggest_taxonomy(
    mentions: pd.DataFrame,
    *,
    source: str,
    name: str = "suggested",
    touchpoint_labels: dict | None = None,
) -> dict:
    """The discovered themes of ``mentions`` (mentions.parquet) as a taxonomy dict (contract
    3). ``source`` names the analysed file in each description; ``touchpoint_labels`` maps the
    placed touchpoints to their labels (else the id, prettified). Raises ValueError when there
    is no discovered theme."""
    if not has_discovered(mentions):
        raise ValueError("no discovered themes")
    found = mentions[mentions[s.MATCH] == MATCH_DISCOVERED]
    labels = touchpoint_labels or {}
    touchpoints: dict[str, dict] = {}
    for (tp, theme), g in found.groupby([s.TOUCHPOINT, s.THEME], sort=False):
        label = str(g[s.LABEL].iloc[0]) if s.LABEL in g.columns else str(theme)
        keywords: dict[str, list[str]] = {}
        phrases = g[s.KEY_PHRASES].dropna() if s.KEY_PHRASES in g.columns else pd.Series()
        for lang, words in parse_key_phrases(phrases.iloc[0] if len(phrases) else None).items():
            key = lang if _LANG.match(lang) and lang != s.UNDETERMINED else "any"
            keywords.setdefault(key, [])
            keywords[key] += [w for w in words if w not in keywords[key]]
        if not keywords:  # an analysis from before key phrases: the label says it
            keywords = {str(g[s.LANG].mode().iloc[0]) if s.LANG in g else "any": [label.lower()]}
        central = g.sort_values(s.CONFIDENCE, ascending=False, kind="stable")
        central = central.drop_duplicates(s.COMMENT_ID) if s.COMMENT_ID in g else central
        examples = [str(t) for t in central[s.CLAUSE_TEXT].head(EXAMPLES)]
        entry = touchpoints.setdefault(
            str(tp),
            {
                "label": labels.get(tp) or ("Other" if tp == OTHER_TOUCHPOINT else _pretty(tp)),
                "themes": {},
            },
        )
        theme_id, n = _slug(label), 2
        while theme_id in entry["themes"]:
            theme_id, n = f"{_slug(label)}_{n}", n + 1
        entry["themes"][theme_id] = {
            "label": label,
            "description": f"Discovered in {source}: {len(g)} mentions",
            "keywords": keywords,
            "examples": examples,
        }
    return {"name": name, "version": 1, "touchpoints": touchpoints}


def _pretty(touchpoint: object) -> str:
    text = re.sub(r"[_\-]+", " ", str(touchpoint)).strip()
    return text[:1].upper() + text[1:]
