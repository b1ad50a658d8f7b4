"""The clause component, and clauses as a DataFrame.

``feedback_nlp_clauses`` (registered as a spaCy factory and declared in the ``spacy_factories``
entry point) splits each sentence at contrastive conjunctions (but / aber / ale / mais / pero /
แต่ ...) and clause punctuation, and stores the clause spans in ``doc._.clauses``.
``split_clauses`` runs texts through the per-language pipelines (pipelines.py) and returns one
row per clause.

>>> nlp = get_pipeline("de")
>>> [c.text for c in nlp("Die Ware ist gut, aber die Lieferung kam zu spät.")._.clauses]
['Die Ware ist gut', 'aber die Lieferung kam zu spät.']
>>> split_clauses(["Great price but slow delivery"], ["en"])[["clause_id", "clause_text"]]  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence

import pandas as pd
from spacy.language import Language
from spacy.tokens import Doc, Span

from feedback_nlp import schema as s
from feedback_nlp.text.pipelines import get_pipeline, normalize_lang, transient_strings

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
# extensions and the clause component


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


# --------------------------------------------------------------------------------------------
# clauses as a DataFrame


_TITLE_CASE_MIN_WORDS = 3
_TITLE_CASE_SHARE = 0.7


def _case_folded(text: str) -> str:
    """A Title Case Or ALL CAPS text in lower case, so it is tagged and lemmatised like prose:
    spaCy reads "Hard Inquiries" as a proper noun with the lemma "Hard Inquiries", so a complaint
    title never matched the keyword "hard inquiry". Only where lower-casing keeps every offset
    (the clause texts and offsets are taken from the original); other texts as written."""
    words = [w for w in text.split() if w[:1].isalpha()]
    if len(words) < _TITLE_CASE_MIN_WORDS:
        return text
    capitalised = sum(w[:1].isupper() for w in words)
    if capitalised < _TITLE_CASE_SHARE * len(words):
        return text
    folded = text.lower()
    return folded if len(folded) == len(text) else text


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
        ((_case_folded(text), k) for k, (text, _) in enumerate(unique)),
        as_tuples=True,
        batch_size=batch_size,
    )
    for doc, k in docs:
        original = unique[k][0]  # the same length as what was parsed: offsets hold
        clauses = doc._.clauses or []
        if not clauses and doc.text.strip():
            clauses = [doc[:]]
        parsed = [
            (
                original[span.start_char : span.end_char],
                span.start_char,
                span.end_char,
                [original[t.idx : t.idx + len(t.text)] for t in span],
                [token_lemma(t) for t in span],
                [(t.idx, t.idx + len(t.text)) for t in span],
            )
            for span in clauses
        ]
        for index in unique[k][1]:
            for clause_id, (text, start, end, tokens, lemmas, spans) in enumerate(parsed):
                rows.append((index, clause_id, text, start, end, lang, tokens, lemmas, spans))
