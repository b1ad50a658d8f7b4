"""Taxonomies (DESIGN.md contract 3): touchpoints -> themes, and how they are described.

A taxonomy is touchpoints -> themes; each theme has a label, a description, keywords per
language (matched on lemmas) and example phrases (used for semantic matching). An optional
``matching:`` block holds the thresholds that were calibrated for it (docs/themes.md). Files are
read and checked by :mod:`feedback_nlp.themes.taxonomy_file`.

>>> from feedback_nlp.themes.taxonomy_file import load_taxonomy
>>> tax = load_taxonomy("ecommerce-cx")
>>> tax.theme("delivery", "late_delivery").label
'Late or slow delivery'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from feedback_nlp.settings import SPECIFIC_OVER_GENERAL

OTHER_TOUCHPOINT = "other"  # where discovered themes go when no touchpoint is near
ANY_LANGUAGE = "any"  # keywords under `any:` are matched (on their surface form) in every language


@dataclass(frozen=True)
class MatchSettings:
    """Matching thresholds of one taxonomy (``matching:`` in its file), calibrated for the builtin
    encoder (multilingual-e5-small, ``query:`` prefix) as docs/themes.md describes.

    A clause gets theme T semantically when T's *specificity* (its best prototype similarity
    minus the clause's mean similarity over all themes) is >= ``semantic_threshold``, within
    ``semantic_margin`` of the clause's most specific theme, among its ``max_semantic_themes``
    best, and T's similarity beats the clause's similarity to content-free statements ("thanks",
    "long-time customer") by ``null_margin``. ``confidence`` of a semantic match is a logistic of
    (specificity - threshold) / ``confidence_scale``; keyword matches get ``keyword_confidence``.

    Precision before breadth (:func:`feedback_nlp.themes.semantic.select_themes`, with an
    encoder): where keywords find several themes in one clause, those whose specificity lies more
    than ``keyword_margin`` below the most specific of them are dropped; beside a keyword theme, a
    semantic-only theme needs specificity >= ``semantic_threshold + semantic_beside_keyword``
    (0: the threshold alone, 2: none). ``keyword_margin`` 2 keeps every keyword theme.
    A general theme (touchpoint ``overall``) found only by keyword gives way to the clause's most
    specific theme by meaning where that reaches ``specific_over_general`` (2: never), and to any
    specific theme the clause has; a touchpoint's catch-all theme (``general: true``) gives way to
    a specific theme of its own touchpoint (:func:`feedback_nlp.themes.semantic.prefer_specific`).
    """

    keyword_confidence: float = 0.9
    semantic_threshold: float = 0.06
    semantic_margin: float = 0.01
    max_semantic_themes: int = 2
    null_margin: float = 0.0
    confidence_scale: float = 0.01
    keyword_margin: float = 0.03
    semantic_beside_keyword: float = 0.02
    specific_over_general: float = SPECIFIC_OVER_GENERAL
    # theme discovery
    discover_min_size: int = 5
    discover_distance: float = 0.08  # mean cosine distance within a discovered theme's cluster
    touchpoint_threshold: float = 0.04  # specificity below which a discovered theme is `other`

    def __post_init__(self) -> None:
        for name in ("keyword_confidence", "semantic_threshold", "touchpoint_threshold"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if not -1.0 <= self.null_margin <= 1.0:
            raise ValueError(f"null_margin must be between -1 and 1, got {self.null_margin}")
        for name in (
            "semantic_margin",
            "discover_distance",
            "keyword_margin",
            "semantic_beside_keyword",
            "specific_over_general",
        ):
            if not 0.0 <= getattr(self, name) <= 2.0:
                raise ValueError(f"{name} must be between 0 and 2, got {getattr(self, name)}")
        if self.confidence_scale <= 0:
            raise ValueError(f"confidence_scale must be > 0, got {self.confidence_scale}")
        if self.max_semantic_themes < 0:
            raise ValueError(f"max_semantic_themes must be >= 0, got {self.max_semantic_themes}")
        if self.discover_min_size < 2:
            raise ValueError(f"discover_min_size must be >= 2, got {self.discover_min_size}")


@dataclass(frozen=True)
class Theme:
    touchpoint: str
    id: str
    label: str
    description: str = ""
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    examples: tuple[str, ...] = ()
    # The touchpoint's catch-all ("Billing in general"): in a clause that also has a specific
    # theme of the same touchpoint ("Wrong bills"), it adds nothing and goes (`general: true`).
    general: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.touchpoint, self.id)

    def prototype_texts(self) -> list[str]:
        """Texts whose embeddings stand for this theme in semantic matching."""
        texts = [
            f"{self.label}. {self.description}".strip(" .") if self.description else self.label
        ]
        texts.extend(self.examples)
        return texts


@dataclass(frozen=True)
class Touchpoint:
    id: str
    label: str
    description: str = ""
    themes: tuple[Theme, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    name: str
    touchpoints: tuple[Touchpoint, ...]
    version: str = "1"
    description: str = ""
    matching: MatchSettings = field(default_factory=MatchSettings)
    source: str | None = None

    @property
    def themes(self) -> tuple[Theme, ...]:
        return tuple(t for tp in self.touchpoints for t in tp.themes)

    def theme(self, touchpoint: str, theme: str) -> Theme:
        for t in self.themes:
            if t.touchpoint == touchpoint and t.id == theme:
                return t
        raise KeyError((touchpoint, theme))

    def touchpoint(self, touchpoint: str) -> Touchpoint:
        for tp in self.touchpoints:
            if tp.id == touchpoint:
                return tp
        raise KeyError(touchpoint)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({lang for t in self.themes for lang in t.keywords}))

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the content (not the file bytes): a cache key and a manifest entry."""
        payload = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def labels(self) -> dict[tuple[str, str], str]:
        return {t.key: t.label for t in self.themes}

    def to_dict(self) -> dict[str, Any]:
        """The taxonomy as plain data, in the file format (``yaml.safe_dump`` writes it back)."""
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "matching": asdict(self.matching),
            "touchpoints": {
                tp.id: {
                    "label": tp.label,
                    "description": tp.description,
                    "themes": {
                        t.id: {
                            "label": t.label,
                            "description": t.description,
                            "keywords": {k: list(v) for k, v in t.keywords.items()},
                            "examples": list(t.examples),
                            # written only when set: other taxonomies keep their fingerprint
                            **({"general": True} if t.general else {}),
                        }
                        for t in tp.themes
                    },
                }
                for tp in self.touchpoints
            },
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per theme: what `feedback-nlp taxonomy show` prints."""
        rows = [
            {
                "touchpoint": tp.id,
                "touchpoint_label": tp.label,
                "theme": t.id,
                "label": t.label,
                "description": t.description,
                "languages": ",".join(sorted(t.keywords)),
                "keywords": sum(len(v) for v in t.keywords.values()),
                "examples": len(t.examples),
                "general": t.general,
            }
            for tp in self.touchpoints
            for t in tp.themes
        ]
        return pd.DataFrame(rows)
