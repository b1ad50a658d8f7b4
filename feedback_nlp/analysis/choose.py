"""``taxonomy="auto"`` (the default): choose the shipped taxonomy that fits an export.

A sample of the export's analysable comments (:data:`~feedback_nlp.settings.AUTO_SAMPLE_SIZE`,
seeded, one drawn from each of as many equal stretches of the file, so that a file sorted by
date or channel is seen whole) is split into clauses and embedded once with the builtin encoder;
every taxonomy shipped in ``feedback_nlp/themes/taxonomies/`` then matches those clauses by
keyword and by meaning with its own ``matching:`` settings, exactly as the analysis will. The
taxonomy with the highest *coverage* (share of sampled comments with at least one theme) wins.
Coverages within :data:`~feedback_nlp.settings.AUTO_NEAR_TIE` of the best are a tie, broken by
*distinct keyword coverage* (the share of comments with a keyword no other candidate has: a
domain's own words are the strongest evidence, and words every taxonomy knows -- "account",
"payment", "delay" -- are none: long consumer-finance narratives gave every taxonomy 65-85 %),
then by keyword coverage, then by fewer mentions in an ``overall`` touchpoint (generic praise or
blame that any taxonomy claims), then by name. Under
:data:`~feedback_nlp.settings.AUTO_MIN_COVERAGE` no shipped taxonomy fits well: the best is still
used, and theme discovery names most of the complaints.

A taxonomy the user names (or a YAML file) is used as given, without sampling.

>>> models, choice = resolve_taxonomy(Models(), texts, langs)   # doctest: +SKIP
>>> manifest.describe_choice(choice.to_dict())                   # doctest: +SKIP
'telecom (auto: covers 88 % of 400 sampled comments; next: ecommerce-cx 61 %)'
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from feedback_nlp import schema as s
from feedback_nlp.analysis.models import Models, embedding_key
from feedback_nlp.home import Progress
from feedback_nlp.manifest import HOW_AUTO, HOW_GIVEN
from feedback_nlp.settings import (
    AUTO_MIN_COVERAGE,
    AUTO_NEAR_TIE,
    AUTO_SAMPLE_SEED,
    AUTO_SAMPLE_SIZE,
    EXAMPLE_TAXONOMY,
    GENERAL_TOUCHPOINT,
)
from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
from feedback_nlp.text.pipelines import splitter_fingerprint
from feedback_nlp.themes.matcher import KEYWORD, MATCH_KEYWORD, ThemeMatcher
from feedback_nlp.themes.taxonomy_file import load_taxonomy, shipped_taxonomies


@dataclass(frozen=True)
class Coverage:
    """How much of the sample one taxonomy explains."""

    name: str
    coverage: float  # share of sampled comments with at least one theme
    keyword_coverage: float  # share with at least one keyword match
    overall_mentions: int  # mentions in an `overall` touchpoint
    # share with a keyword match no other candidate taxonomy has (0 in records made before it)
    distinct_keyword_coverage: float = 0.0

    def to_dict(self) -> dict:
        out = asdict(self)
        out["coverage"] = round(self.coverage, 4)
        out["keyword_coverage"] = round(self.keyword_coverage, 4)
        out["distinct_keyword_coverage"] = round(self.distinct_keyword_coverage, 4)
        return out


@dataclass(frozen=True)
class TaxonomyChoice:
    """Which taxonomy an analysis uses, and why (manifest.json's ``taxonomy_choice``)."""

    chosen: str
    how: str  # auto: picked from a sample; given: named by the user (or their loaded Models)
    sample: int = 0  # sampled comments (auto)
    candidates: tuple[Coverage, ...] = ()  # best first (auto)
    min_coverage: float = AUTO_MIN_COVERAGE

    @property
    def fits(self) -> bool:
        """False where the chosen taxonomy covers less than `min_coverage` of the sample."""
        if self.how != HOW_AUTO or not self.candidates:
            return True
        return self.candidates[0].coverage >= self.min_coverage

    @classmethod
    def from_dict(cls, record: dict) -> TaxonomyChoice:
        """Back from :meth:`to_dict` (an interrupted run's choice, kept for its resumption)."""
        return cls(
            chosen=record["chosen"],
            how=record.get("how", HOW_GIVEN),
            sample=int(record.get("sample", 0)),
            candidates=tuple(Coverage(**c) for c in record.get("candidates", [])),
            min_coverage=float(record.get("min_coverage", AUTO_MIN_COVERAGE)),
        )

    def to_dict(self) -> dict:
        out = {"chosen": self.chosen, "how": self.how}
        if self.how == HOW_AUTO:
            out.update(
                sample=self.sample,
                min_coverage=self.min_coverage,
                fits=self.fits,
                candidates=[c.to_dict() for c in self.candidates],
            )
        return out


def sample_positions(
    n: int, size: int = AUTO_SAMPLE_SIZE, seed: int = AUTO_SAMPLE_SEED
) -> np.ndarray:
    """Up to `size` sorted positions in ``range(n)``: one drawn (seeded) from each of `size`
    equal stretches, so that the sample spans the whole file; all of them where n <= size."""
    if n <= size:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    edges = np.linspace(0, n, size + 1).astype(np.int64)
    starts, widths = edges[:-1], np.diff(edges)
    return starts + (rng.random(size) * widths).astype(np.int64)


def rank_coverages(found: Sequence[Coverage], near_tie: float = AUTO_NEAR_TIE) -> list[Coverage]:
    """Best first: the highest coverage; within `near_tie` of it, the higher distinct keyword
    coverage, then keyword coverage, then fewer `overall` mentions, then the name (so that the
    order never depends on chance)."""
    if not found:
        return []
    top = max(c.coverage for c in found)
    near = [c for c in found if c.coverage >= top - near_tie - 1e-12]
    rest = [c for c in found if c not in near]
    near.sort(
        key=lambda c: (
            -c.distinct_keyword_coverage,
            -c.keyword_coverage,
            c.overall_mentions,
            c.name,
        )
    )
    rest.sort(key=lambda c: (-c.coverage, -c.keyword_coverage, c.overall_mentions, c.name))
    return near + rest


def _keywords(matcher: ThemeMatcher) -> set[str]:
    """Every keyword of a candidate's taxonomy as written (casefolded), any language."""
    return {
        word.casefold()
        for theme in matcher.taxonomy.themes
        for words in theme.keywords.values()
        for word in words
    }


def choose_taxonomy(
    texts: Sequence[str],
    langs: Sequence[str],
    *,
    embed: Callable[[Sequence[str]], np.ndarray] | None,
    candidates: Sequence[str] | None = None,
    sample_size: int = AUTO_SAMPLE_SIZE,
    seed: int = AUTO_SAMPLE_SEED,
    progress: Progress | None = None,
    matcher_for: Callable[[str], ThemeMatcher] | None = None,
) -> tuple[TaxonomyChoice, ThemeMatcher | None]:
    """Match a sample of `texts` against each of `candidates` (default: every shipped taxonomy)
    and pick the one that covers most (see the module's docstring). Returns the choice and the
    winner's matcher, prototypes embedded (None where there was nothing to sample). `embed`:
    the clause embedder (None: keywords only). `matcher_for(name)`: the ThemeMatcher of a
    candidate (default: one on `embed`; :meth:`Models.theme_matcher` reads the shipped
    taxonomies' prototype vectors from the model cache)."""
    names = list(candidates) if candidates is not None else shipped_taxonomies()
    positions = sample_positions(len(texts), sample_size, seed)
    if not len(positions) or not names:
        chosen = EXAMPLE_TAXONOMY if not names or EXAMPLE_TAXONOMY in names else names[0]
        return TaxonomyChoice(chosen=chosen, how=HOW_AUTO), None
    say = progress or (lambda _m: None)
    say(f"Choosing the taxonomy: {len(positions)} sampled comments against {len(names)}")
    clauses = split_clauses([texts[i] for i in positions], [langs[i] for i in positions])
    vectors = embed(clauses[s.CLAUSE_TEXT].tolist()) if embed is not None and len(clauses) else None
    n = len(positions)
    matchers = {
        name: matcher_for(name) if matcher_for is not None else ThemeMatcher(name, embed=embed)
        for name in names
    }
    vocabulary = {name: _keywords(matcher) for name, matcher in matchers.items()}
    found = []
    for name, matcher in matchers.items():
        mentions = matcher.match(clauses, embeddings=vectors, semantic=vectors is not None)
        keyword = mentions[mentions[s.MATCH] == MATCH_KEYWORD]
        others = set().union(*(words for other, words in vocabulary.items() if other != name))
        distinct = keyword[~keyword[KEYWORD].str.casefold().isin(others)]
        found.append(
            Coverage(
                name=name,
                coverage=mentions[COMMENT_INDEX].nunique() / n,
                keyword_coverage=keyword[COMMENT_INDEX].nunique() / n,
                overall_mentions=int((mentions[s.TOUCHPOINT] == GENERAL_TOUCHPOINT).sum()),
                distinct_keyword_coverage=distinct[COMMENT_INDEX].nunique() / n,
            )
        )
    ranked = rank_coverages(found)
    choice = TaxonomyChoice(chosen=ranked[0].name, how=HOW_AUTO, sample=n, candidates=tuple(ranked))
    return choice, matchers[choice.chosen]


def resolve_taxonomy(
    models: Models,
    texts: Sequence[str],
    langs: Sequence[str],
    *,
    candidates: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> tuple[Models, TaxonomyChoice]:
    """`models` with their taxonomy: as given, or (taxonomy ``auto``) chosen from a sample of
    `texts` (the analysable comments, with their `langs`) through the models' own clause
    embedder (and result cache). The returned Models' options name the chosen taxonomy, so that
    Ray workers, cache keys and the resume fingerprint see the name, never ``auto``."""
    if not models.taxonomy_pending:
        return models, TaxonomyChoice(chosen=models.taxonomy.name, how=HOW_GIVEN)
    cache = models.cache if models.cache is not None and models.cache.active else None
    key = choice_key(models, texts, langs, candidates) if cache is not None else None
    stored = cache.get_record(CHOICE_RECORD, key) if cache is not None else None
    if stored is not None:  # the same sample, candidates and encoder: the same choice
        choice = TaxonomyChoice.from_dict(stored)
        return models.with_taxonomy(choice.chosen, name=choice.chosen), choice
    choice, matcher = choose_taxonomy(
        texts,
        langs,
        embed=models.embed_clauses,
        candidates=candidates,
        progress=progress,
        matcher_for=models.theme_matcher,
    )
    if cache is not None:
        cache.put_record(CHOICE_RECORD, key, choice.to_dict())
    chosen = matcher if matcher is not None else choice.chosen
    return models.with_taxonomy(chosen, name=choice.chosen), choice


CHOICE_RECORD = "taxonomy-choice/2"  # the result cache's name for stored choices (bump on change)
# 2: near ties broken by distinct keyword coverage first


def choice_key(
    models: Models, texts: Sequence[str], langs: Sequence[str], candidates: Sequence[str] | None
) -> bytes:
    """What an automatic choice depends on: the sampled comments and their languages, every
    candidate's content, the encoder, the clause splitter and the choice's settings. A warm
    re-run of an export then reads its choice back instead of matching the sample against
    every taxonomy again (~16 s of a 28 s warm run at 1,000 comments before)."""
    names = list(candidates) if candidates is not None else shipped_taxonomies()
    positions = sample_positions(len(texts), AUTO_SAMPLE_SIZE, AUTO_SAMPLE_SEED)
    digest = hashlib.sha256()
    for part in (
        CHOICE_RECORD,
        embedding_key(models.embedder, models.precision)
        if getattr(models.embedder, "fingerprint", None)
        else "no encoder",
        splitter_fingerprint(),
        repr((AUTO_SAMPLE_SIZE, AUTO_SAMPLE_SEED, AUTO_NEAR_TIE, AUTO_MIN_COVERAGE)),
        *(f"{name}={load_taxonomy(name).fingerprint}" for name in names),
        *(f"{langs[i]}\x1f{texts[i]}" for i in positions),
    ):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x1e")
    return digest.digest()
