"""Lemmatizer components for blank pipelines.

Registered as spaCy factories and declared in the ``spacy_factories`` entry point:

- ``feedback_nlp_simplemma`` sets ``token.lemma_`` with simplemma, for languages without a
  usable spaCy lemmatizer (e.g. Polish);
- ``feedback_nlp_lookup_lemmatizer`` sets it from spaCy's lookup tables (``spacy-lookups-data``),
  held compactly (``CompactLookup``).
"""

from __future__ import annotations

import array
import bisect
import functools
import gzip
import importlib.util
import itertools
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc


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
    if not has_lookup_table(lang or nlp.lang):
        raise ValueError(
            f"no lemma lookup table for '{lang or nlp.lang}': install spacy-lookups-data, "
            "or use feedback_nlp_simplemma"
        )
    return LookupLemmatizer(nlp, name, lang)


def has_lookup_table(lang: str) -> bool:
    return _lookup_table_path(lang) is not None


def simplemma_supports(lang: str) -> bool:
    try:
        from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES
    except ImportError:
        return False
    return lang in SUPPORTED_LANGUAGES


# Languages that write every noun with a capital: there a capital says "noun", not "name"
# (themes.keywords: which keywords head a compound; themes.discovered_labels: what is a name).
NOUNS_CAPITALISED = ("de", "lb")


@functools.lru_cache(maxsize=50_000)
def is_known_word(word: str, lang: str) -> bool | None:
    """Whether simplemma's dictionary of `lang` knows `word` (a word form or lemma); None where
    simplemma has no dictionary for `lang` ("th"). Used to tell words from names (text.content's
    brand words) and a compound's front from a chance ending (themes.keywords)."""
    if not simplemma_supports(lang):
        return None
    import simplemma

    return simplemma.is_known(word, lang=lang, low_memory=True)


@functools.lru_cache(maxsize=50_000)
def dictionary_lemma(word: str, lang: str) -> str | None:
    """simplemma's lemma of `word` in `lang`, lower case (the word itself where the dictionary
    does not know it); None where simplemma has no dictionary for `lang`."""
    if not simplemma_supports(lang):
        return None
    import simplemma

    return simplemma.lemmatize(word, lang=lang, low_memory=True).lower()


# Letters NFKD does not take apart: what a customer types without the diacritic.
_FOLD_LETTERS = str.maketrans(
    {"ł": "l", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ı": "i"}
)
# German written without umlauts: "Fruehstueck" as often as "Fruhstuck".
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def fold_diacritics(word: str, lang: str = "") -> tuple[str, ...]:
    """The ways `word` (lower case) is written without its diacritics: "łazience" -> ("lazience",),
    German "frühstück" -> ("fruhstuck", "fruehstueck"). Only Latin letters lose their marks
    (Cyrillic "й" stays "й"); a word without diacritics gives itself."""
    out = []
    for text in (word, word.translate(_UMLAUTS)) if lang in NOUNS_CAPITALISED else (word,):
        decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_LETTERS))
        kept, prev = [], ""
        for ch in decomposed:
            if unicodedata.combining(ch) and prev.isascii():
                continue
            kept.append(ch)
            prev = ch
        folded = unicodedata.normalize("NFC", "".join(kept))
        if folded not in out:
            out.append(folded)
    return tuple(out)


def dictionary_forms(lemmas: Iterable[str], lang: str) -> list[tuple[str, str]]:
    """(word form, lemma) pairs, lower case, of simplemma's dictionary of `lang` whose lemma is
    one of `lemmas`: "łazienka" -> ("łazience", "łazienka"), ("łazienki", "łazienka"), ...

    A lemma's forms share its first letters, all but the last three (at least three: "pok|ój" ->
    "pokoju", "łazie|nka" -> "łazience"), so only that stretch of the sorted dictionary is read,
    at most `_SCAN` entries of it ("prz", "nie" start 10^5 Polish forms), not the whole of it (3.7 M
    Polish forms, 2.4 s to read through). Reads simplemma's low-memory dictionary, the one
    `is_known_word` already holds; an empty list where there is none for `lang` or its layout
    changed."""
    if not simplemma_supports(lang):
        return []
    try:
        from simplemma.strategies.dictionaries import LOW_MEMORY_DICTIONARY_FACTORY, frontcode

        store = LOW_MEMORY_DICTIONARY_FACTORY.get_dictionary(lang)
        data, firsts, blocks = store._data, store._firsts, store._blocks
        if store._rev:
            return []
    except (ImportError, AttributeError, ValueError):
        return []
    wanted = {lemma.lower() for lemma in lemmas if len(lemma) >= 3}
    prefixes = set()
    for lemma in wanted:
        stem = lemma[: max(3, len(lemma) - 3)]
        prefixes.add(stem)
        if lang in NOUNS_CAPITALISED:  # "Frühstück" is a key as written
            prefixes.add(stem[:1].upper() + stem[1:])
    out: dict[str, str] = {}
    try:  # simplemma's private layout: a change there costs the inflected forms, not the run
        _scan_forms(data, firsts, blocks, frontcode, prefixes, wanted, out)
    except (AttributeError, TypeError, ValueError, IndexError, UnicodeDecodeError):
        return []
    return list(out.items())


def _scan_forms(data, firsts, blocks, frontcode, prefixes, wanted, out: dict[str, str]) -> None:
    """Reads, under each prefix of the sorted front-coded dictionary, the forms of `wanted`."""
    for prefix in sorted(prefixes):
        start = prefix.encode()
        block = max(bisect.bisect_right(firsts, start) - 1, 0)
        records = frontcode._iter_records(data, *blocks[block])
        for _, key, value in itertools.islice(records, _SCAN):
            if key < start:
                continue
            if not key.startswith(start):
                break
            lemma = value.decode().lower()
            if lemma in wanted:
                out.setdefault(key.decode().lower(), lemma)


_SCAN = 5000  # dictionary entries read under one lemma's first letters, at most
