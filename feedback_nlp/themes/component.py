"""spaCy component: keyword themes on a Doc (the ``feedback_nlp_themes`` factory)."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from feedback_nlp import schema as s
from feedback_nlp.text.clauses import install_extensions, token_lemma
from feedback_nlp.themes.keywords import KeywordMatcher
from feedback_nlp.themes.matcher import KEYWORD
from feedback_nlp.themes.taxonomy_file import load_taxonomy


class ThemeComponent:
    """Keyword theme matching inside a spaCy pipeline: ``doc._.theme_mentions`` lists, for each
    clause (``doc._.clauses``, or the whole Doc), the (touchpoint, theme, keyword, start_char,
    end_char) found in it."""

    def __init__(self, nlp: Language, name: str, taxonomy: str) -> None:
        install_extensions()
        self.name = name
        self.lang = nlp.lang
        self.matcher = KeywordMatcher(load_taxonomy(taxonomy))

    def __call__(self, doc: Doc) -> Doc:
        themes = self.matcher.taxonomy.themes
        spans = doc._.clauses or [doc[:]]
        mentions = []
        for span in spans:
            tokens = [t.text for t in span]
            lemmas = [token_lemma(t) for t in span]
            for hit in self.matcher.find(tokens, lemmas, span.text, self.lang):
                theme = themes[hit.theme]
                mentions.append(
                    {
                        s.TOUCHPOINT: theme.touchpoint,
                        s.THEME: theme.id,
                        KEYWORD: hit.keyword,
                        s.START_CHAR: span.start_char,
                        s.END_CHAR: span.end_char,
                    }
                )
        doc._.theme_mentions = mentions
        return doc


@Language.factory(
    "feedback_nlp_themes",
    assigns=["doc._.theme_mentions"],
    requires=["token.lemma"],
    default_config={"taxonomy": "ecommerce-cx"},
)
def make_theme_component(nlp: Language, name: str, taxonomy: str) -> ThemeComponent:
    return ThemeComponent(nlp, name, taxonomy)
