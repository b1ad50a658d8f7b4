"""Keywords found in text written without its diacritics ("obsluga" for "obsługa", "lazience" for
"łazience", "habitacion", "Fruehstueck"), and never where the unaccented word is a word of the
language itself (pl "kat" is not "kąt", es "papa" not "papá", fr "sale" not "salé")."""

from __future__ import annotations

from feedback_nlp import schema as s
from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
from feedback_nlp.text.lemmas import fold_diacritics
from feedback_nlp.themes.keywords import KeywordMatcher
from feedback_nlp.themes.matcher import match_themes
from feedback_nlp.themes.taxonomy_file import load_taxonomy


def themes_of(texts, lang, taxonomy="travel"):
    mentions = match_themes(split_clauses(texts, [lang] * len(texts)), taxonomy, embed=None)
    found: dict[int, set[str]] = {i: set() for i in range(len(texts))}
    for i, theme in zip(mentions[COMMENT_INDEX], mentions[s.THEME]):
        found[i].add(theme)
    return [found[i] for i in range(len(texts))]


def test_folding_drops_latin_diacritics_only():
    assert fold_diacritics("łazience", "pl") == ("lazience",)
    assert fold_diacritics("źdźbło", "pl") == ("zdzblo",)
    assert fold_diacritics("habitación", "es") == ("habitacion",)
    assert fold_diacritics("frühstück", "de") == ("fruhstuck", "fruehstueck")
    assert fold_diacritics("straße", "de") == ("strasse",)
    assert fold_diacritics("йогурт", "ru") == ("йогурт",)  # Cyrillic letters keep their marks
    assert fold_diacritics("hotel", "fr") == ("hotel",)


def test_polish_written_without_diacritics_finds_its_themes():
    texts = [
        "Bylo brudno w lazience, a obsluga nie pomogla.",
        "Obsluga na recepcji bardzo niemila.",
        "W lazienkach nie ma kosmetykow do kapieli.",
        "Bardzo slabe cisnienie wody pod prysznicem.",
        "Silownia z bardzo dobrym sprzetem.",
        "Brak lodowki w pokoju.",
    ]
    found = themes_of(texts, "pl")
    assert {"room", "staff_attitude"} <= found[0]
    assert "staff_attitude" in found[1]
    assert "room" in found[2]
    assert "amenities" in found[3]
    assert "facilities" in found[4]
    assert "amenities" in found[5]


def test_accented_text_finds_the_same_themes():
    plain = themes_of(["Bylo brudno w lazience, a obsluga nie pomogla."], "pl")
    accented = themes_of(["Było brudno w łazience, a obsługa nie pomogła."], "pl")
    assert plain == accented
    assert {"cleanliness", "room", "staff_attitude"} <= accented[0]


def test_spanish_french_german_without_diacritics():
    assert "room" in themes_of(["La habitacion era pequeña."], "es")[0]
    assert "breakfast_dining" in themes_of(["Le petit dejeuner etait froid."], "fr")[0]
    found = themes_of(["Das Fruhstuck war kalt.", "Das Fruehstueck war kalt."], "de")
    assert all("breakfast_dining" in f for f in found)


def test_a_keyword_listed_without_diacritics_still_matches_as_written():
    # travel lists "reczniki" beside "ręczniki": the word is not turned into the accented one
    assert "amenities" in themes_of(["Posciel i reczniki czyste i czesto zmieniane."], "pl")[0]


TRAPS = """\
name: traps
touchpoints:
  stay:
    label: Stay
    themes:
      corner:
        label: Corner
        keywords:
          pl: [kąt]
      dad:
        label: Dad
        keywords:
          es: [papá]
      salty:
        label: Salty
        keywords:
          fr: [salé]
      where:
        label: Where
        keywords:
          fr: [où]
"""


def test_an_unaccented_word_of_the_language_must_not_match(tmp_path):
    path = tmp_path / "traps.yaml"
    path.write_text(TRAPS, encoding="utf-8")
    taxonomy = load_taxonomy(path)
    # "kat" = executioner, "papa" = potato, "sale" = dirty, "ou" = or
    assert themes_of(["Kat w filmie byl straszny."], "pl", taxonomy) == [set()]
    assert themes_of(["La papa estaba fria."], "es", taxonomy) == [set()]
    assert themes_of(["La chambre etait sale ou mal rangee."], "fr", taxonomy) == [set()]
    # ... while the accented words are found
    assert themes_of(["Ostry kąt przy łóżku."], "pl", taxonomy) == [{"corner"}]
    assert themes_of(["Le plat était trop salé."], "fr", taxonomy) == [{"salty"}]


def test_english_and_thai_are_not_folded():
    matcher = KeywordMatcher(load_taxonomy("travel"))
    assert matcher.index("en").restore == {}
    assert matcher.index("th").restore == {}
    assert matcher.index("pl").restore["obsluga"] == ("obsługa", "obsługa")
