"""Semantic theme matching: the clause embedding against theme prototypes (label + description,
and each example phrase); a theme is found when its best prototype similarity passes the
taxonomy's calibrated ``semantic_threshold`` and lies within ``semantic_margin`` of the clause's
best.

Precision before breadth (:func:`select_themes`): one clause is filed under as few themes as its
meaning supports. Among the themes its keywords find, those far less specific than the best of
them go ("Le remboursement n'est jamais arrivé" is a slow refund, not a lost parcel); beside a
keyword theme, a semantic-only theme must be clearly stronger than a bare semantic match.
General themes (touchpoint ``overall``) give way to specific ones, and a touchpoint's catch-all
theme (``general: true``, "Billing in general") to a specific theme of its own touchpoint
(:func:`yield_matrix`, :func:`prefer_specific`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from feedback_nlp.settings import GENERAL_TOUCHPOINT
from feedback_nlp.themes.taxonomy import MatchSettings, Taxonomy, Theme

Embed = Callable[[Sequence[str]], np.ndarray]


# Content-free statements (thanks, sign-offs, "no comment", who the customer is). A clause closer
# to these than to its best theme by less than the taxonomy's `null_margin` gets no semantic
# theme: short generic clauses are otherwise near everything in embedding space.
NULL_EXAMPLES = (
    "Thank you", "Thanks a lot", "Regards", "Hello", "Danke", "Vielen Dank", "Viele Grüße",
    "Dziękuję", "Pozdrawiam", "Merci", "Cordialement", "Gracias", "Saludos", "ขอบคุณครับ",
    "ขอบคุณค่ะ", "Grazie", "Bedankt", "No comment", "Nothing to add", "n/a",
    "Nothing else to say", "Keine Angabe", "Nichts hinzuzufügen", "Brak uwag", "Nie mam zdania",
    "Rien à ajouter", "Sans commentaire", "Sin comentarios", "Nada que añadir",
    "ไม่มีความคิดเห็น", "-", "I have been a customer for years", "Long-time customer here",
    "I order from you quite often", "I ordered on Monday", "We went there last Friday",
    "I bought it for my daughter", "It was my second order", "We were a group of six",
    "Bin seit Jahren Kunde", "Ich bestelle regelmäßig bei euch", "Wir waren am Samstag dort",
    "Jestem klientem od lat", "Zamawiam u was regularnie", "Je suis client depuis des années",
    "Je commande régulièrement chez vous", "Soy cliente desde hace años",
    "Fuimos el sábado con unos amigos", "เป็นลูกค้าประจำ", "สั่งซื้อเป็นประจำ", "Keep it up",
    "That's all", "As always", "See you next time", "Weiter so", "Tak trzymać",
    "Continuez comme ça", "Seguid así", "Well", "So", "Why?", "ok", "Hmm", "Yes", "No", "lol",
)  # fmt: skip


@dataclass(frozen=True)
class SemanticScores:
    """Similarities of clauses to a taxonomy's themes.

    ``similarity`` (clauses x themes) is each theme's best prototype similarity; ``specificity``
    is that minus the clause's mean similarity over all themes (short generic clauses are close
    to every theme, so only what stands out counts); ``null`` is the clause's best similarity to
    content-free statements (NULL_EXAMPLES).
    """

    similarity: np.ndarray
    specificity: np.ndarray
    null: np.ndarray


class Prototypes:
    """Embeddings that stand for each theme: its label + description and each example phrase."""

    def __init__(self, taxonomy: Taxonomy, embed: Embed) -> None:
        texts: list[str] = []
        owner: list[int] = []
        for i, theme in enumerate(taxonomy.themes):
            for text in theme.prototype_texts():
                texts.append(text)
                owner.append(i)
        vectors = np.asarray(embed([*texts, *NULL_EXAMPLES]), dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(texts) + len(NULL_EXAMPLES):
            raise ValueError(
                f"embed() returned shape {vectors.shape} for "
                f"{len(texts) + len(NULL_EXAMPLES)} texts; expected (n, dim)"
            )
        vectors = _normalise(vectors)
        self.vectors = vectors[: len(texts)]
        self.null_vectors = vectors[len(texts) :]
        self.owner = np.asarray(owner, dtype=np.int64)
        self.n_themes = len(taxonomy.themes)

    def similarities(self, embeddings: np.ndarray) -> np.ndarray:
        """(n clauses, n themes): each theme's best prototype similarity."""
        sims = _normalise(np.asarray(embeddings, dtype=np.float32)) @ self.vectors.T
        out = np.full((len(sims), self.n_themes), -1.0, dtype=np.float32)
        for j in range(self.n_themes):  # a loop over themes is cheap
            cols = self.owner == j
            if cols.any():
                out[:, j] = sims[:, cols].max(axis=1)
        return out

    def null_similarity(self, embeddings: np.ndarray, block: int = 4096) -> np.ndarray:
        """(n clauses,): each clause's best similarity to a content-free statement, computed
        `block` rows at a time."""
        out = np.zeros(len(embeddings), dtype=np.float32)
        for start in range(0, len(embeddings), block):
            unit = _normalise(np.asarray(embeddings[start : start + block], dtype=np.float32))
            out[start : start + len(unit)] = (unit @ self.null_vectors.T).max(axis=1)
        return out

    def scores(self, embeddings: np.ndarray) -> SemanticScores:
        unit = _normalise(np.asarray(embeddings, dtype=np.float32))
        sims = self.similarities(unit)
        null = self.null_similarity(unit)
        mean = sims.mean(axis=1, keepdims=True) if sims.size else sims[:, :0]
        return SemanticScores(sims, sims - mean, null)


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.clip(norms, 1e-12, None)


def semantic_mask(
    scores: SemanticScores, threshold: float, margin: float, max_themes: int, null_margin: float
) -> np.ndarray:
    """(clauses x themes) True where a theme is found semantically: specificity >= threshold,
    within ``margin`` of the clause's best, among its ``max_themes`` best, and the similarity
    at least ``null_margin`` above the clause's similarity to content-free statements."""
    spec = scores.specificity
    if max_themes <= 0 or spec.size == 0:
        return np.zeros(spec.shape, dtype=bool)
    best = spec.max(axis=1, keepdims=True)
    ok = (spec >= threshold) & (spec >= best - margin)
    ok &= scores.similarity - scores.null[:, None] >= null_margin
    if max_themes < spec.shape[1]:
        kth = -np.partition(-spec, max_themes - 1, axis=1)[:, max_themes - 1 : max_themes]
        ok &= spec >= kth
    return ok


def select_themes(
    scores: SemanticScores,
    keyword: np.ndarray,
    threshold: float,
    margin: float,
    max_themes: int,
    null_margin: float,
    keyword_margin: float,
    beside_keyword: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(keyword themes kept, semantic themes kept), each (clauses x themes) bool, from the
    clauses' keyword hits ``keyword`` (clauses x themes bool) and their semantic scores; a clause
    gets the union.

    - Keyword themes: where keywords find several themes in a clause, those whose specificity
      is more than ``keyword_margin`` below the most specific of them are dropped (the
      clause's meaning arbitrates between its keywords; >= 2 keeps every keyword theme).
    - Semantic themes: :func:`semantic_mask` (``threshold``, ``margin``, ``max_themes``,
      ``null_margin``), never a keyword theme dropped above; in a clause where a keyword found
      a theme, one that no keyword found also needs specificity >= ``threshold +
      beside_keyword`` (nearly as strong as a keyword match; >= 2 keeps none).
    """
    semantic = semantic_mask(scores, threshold, margin, max_themes, null_margin)
    return arbitrate(
        scores.specificity, keyword, semantic, threshold, keyword_margin, beside_keyword
    )


def keyword_kept(specificity: np.ndarray, keyword: np.ndarray, keyword_margin: float):
    """Keyword themes within ``keyword_margin`` of their clause's most specific keyword theme."""
    keyword = np.asarray(keyword, dtype=bool)
    if keyword_margin >= 2 or specificity.size == 0:
        return keyword
    best = np.where(keyword, specificity, -np.inf).max(axis=1, keepdims=True)
    return keyword & (specificity >= best - keyword_margin)


def arbitrate(
    specificity: np.ndarray,
    keyword: np.ndarray,
    semantic: np.ndarray,
    threshold: float,
    keyword_margin: float,
    beside_keyword: float,
    kept: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`select_themes` from the :func:`semantic_mask` ``semantic`` (``kept``: the
    :func:`keyword_kept` mask when already computed)."""
    keyword = np.asarray(keyword, dtype=bool)
    if kept is None:
        kept = keyword_kept(specificity, keyword, keyword_margin)
    if specificity.size == 0:
        return kept, semantic
    strong = specificity >= threshold + beside_keyword if beside_keyword < 2 else False
    alone = ~keyword.any(axis=1, keepdims=True)
    return kept, semantic & (kept | alone | (strong & ~keyword))


def yield_matrix(themes: Sequence[Theme]) -> np.ndarray:
    """(themes x themes) bool: ``[j, k]`` where theme j gives way to theme k in a clause that
    has both. A theme of the general touchpoint (``overall``) gives way to every theme outside
    it; a touchpoint's catch-all (``Theme.general``: "Billing in general") to every theme of its
    own touchpoint that is not a catch-all ("Wrong bills and overcharging").

    >>> from feedback_nlp.themes.taxonomy import Theme
    >>> yield_matrix([Theme("billing", "billing_general", "Billing", general=True),
    ...               Theme("billing", "billing_errors", "Wrong bills")]).tolist()
    [[False, True], [False, False]]
    """
    touchpoints = np.array([t.touchpoint for t in themes], dtype=object)
    overall = touchpoints == GENERAL_TOUCHPOINT
    catch_all = np.array([t.general for t in themes], dtype=bool)
    same = touchpoints[:, None] == touchpoints[None, :]
    return (overall[:, None] & ~overall[None, :]) | (
        catch_all[:, None] & same & ~catch_all[None, :]
    )


def giving_way(found: np.ndarray, yields: np.ndarray) -> np.ndarray:
    """(clauses x themes) bool: the themes of ``found`` that give way (:func:`yield_matrix`
    ``yields``) to another theme found in the same clause."""
    found = np.asarray(found, dtype=bool)
    if found.size == 0 or not yields.any():
        return np.zeros(found.shape, dtype=bool)
    return found & ((found.astype(np.int32) @ yields.T.astype(np.int32)) > 0)


def prefer_specific(
    scores: SemanticScores | None,
    keyword: np.ndarray,
    kept: np.ndarray,
    chosen: np.ndarray,
    general: np.ndarray,
    bar: float,
    null_margin: float = -1.0,
    yields: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(keyword themes kept, semantic themes kept) after general themes give way to specific
    ones; ``general`` (themes,) marks the themes of the general touchpoint, ``yields`` (themes x
    themes, :func:`yield_matrix`) which theme gives way to which (None: the general touchpoint's
    themes to every other theme).

    A keyword such as "terrible" or "worst" files a clause under a general theme ("General
    impression") even when the clause is about something specific that has no keyword of its own
    ("disappointed with your toll free number"). So, in a clause whose themes are all general
    and one of them came from a keyword: where the clause's most specific theme by meaning is a
    specific one with specificity >= ``bar`` (and, like any semantic match, ``null_margin`` above
    the content-free statements), that theme takes the clause as a semantic match and the
    general ones go. Then, in every clause with a specific theme, the general themes go: they
    add nothing a reader of that clause needs; so does a touchpoint's catch-all theme in a clause
    with a specific theme of its touchpoint. ``scores`` None (no encoder): only the second."""
    keyword = np.asarray(keyword, dtype=bool)
    kept, chosen = np.array(kept, dtype=bool), np.array(chosen, dtype=bool)
    general = np.asarray(general, dtype=bool)
    if yields is None:
        yields = general[:, None] & ~general[None, :]
    if kept.size == 0 or not yields.any():
        return kept, chosen
    found = kept | chosen
    if scores is not None and bar < 2 and general.any():
        only_general = found.any(axis=1) & ~(found & ~general).any(axis=1)
        by_keyword = (kept & general).any(axis=1)
        spec = scores.specificity
        best = spec.argmax(axis=1)
        rows = np.arange(len(spec))
        take = (
            only_general
            & by_keyword
            & ~general[best]
            & (spec[rows, best] >= bar)
            & (scores.similarity[rows, best] - scores.null >= null_margin)
        )
        chosen[rows[take], best[take]] = True
    drop = giving_way(kept | chosen, yields)
    return kept & ~drop, chosen & ~drop


def settings_params(settings: MatchSettings) -> tuple:
    """The arguments of :func:`select_themes` after the masks, from a taxonomy's settings."""
    return (
        settings.semantic_threshold,
        settings.semantic_margin,
        settings.max_semantic_themes,
        settings.null_margin,
        settings.keyword_margin,
        settings.semantic_beside_keyword,
    )
