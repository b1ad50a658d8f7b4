"""Semantic theme matching: the clause embedding against theme prototypes (label + description,
and each example phrase); a theme is found when its best prototype similarity passes the
taxonomy's calibrated ``semantic_threshold`` and lies within ``semantic_margin`` of the clause's
best.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from feedback_nlp.themes.taxonomy import MatchSettings, Taxonomy

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


def semantic_choices(scores: SemanticScores, settings: MatchSettings) -> list[list[int]]:
    """For each clause, the themes found semantically, most specific first."""
    mask = semantic_mask(
        scores,
        settings.semantic_threshold,
        settings.semantic_margin,
        settings.max_semantic_themes,
        settings.null_margin,
    )
    spec = scores.specificity
    return [
        sorted(np.flatnonzero(row).tolist(), key=lambda j, i=i: (-spec[i, j], j))
        for i, row in enumerate(mask)
    ]
