"""Ratings written as words: the labels survey tools and help desks export instead of numbers.

Each table maps a label, folded like a column name (case, accents, punctuation: see
``names.normalize_name``), to its value on a declared scale:

- ``csat`` (5-point satisfaction, 1 = very dissatisfied ... 5 = very satisfied) and ``csat3``
  (3-point: 1 dissatisfied, 2 neutral, 3 satisfied), in en de pl th fr es. A column whose
  labels are only the plain three ("satisfied", "neutral", "dissatisfied") is read as 3-point;
  any "very"/"extremely"/"somewhat" label makes it 5-point.
- ``csat2``: Zendesk's satisfaction rating (1 = good, 0 = bad); "offered"/"unoffered" mean the
  survey was sent and not answered, i.e. no rating (not an unreadable one).
- ``ces`` (customer effort): ease labels (1 = very difficult ... 5 = very easy) and the 7-point
  agreement of the "It was easy to ..." form (1 = strongly disagree ... 7 = strongly agree);
  higher = less effort for both.

Sources for the labels (written from these answer scales, not copied from a file of them):
the CSAT and Likert answer scales of Qualtrics and SurveyMonkey templates (en, de, fr, es, pl:
"Very satisfied" ... "Very dissatisfied", "Extremely ...", "Somewhat ...", "Neither ... nor
..."), Zendesk's ticket export ("Satisfaction Score": Offered, Unoffered, Good, Bad), Gartner's
CES 2.0 item ("The company made it easy for me to handle my issue", 7-point agreement), and
the usual 5-point Thai satisfaction labels (พอใจมากที่สุด ... ไม่พอใจ).
"""

from __future__ import annotations

from functools import lru_cache

from feedback_nlp.io.names import normalize_name

# fmt: off
_CSAT5: dict[str, float] = {
    # English
    "very satisfied": 5, "extremely satisfied": 5, "completely satisfied": 5,
    "somewhat satisfied": 4, "mostly satisfied": 4, "satisfied": 4,
    "neither satisfied nor dissatisfied": 3, "neutral": 3,
    "somewhat dissatisfied": 2, "dissatisfied": 2, "unsatisfied": 2,
    "very dissatisfied": 1, "extremely dissatisfied": 1, "very unsatisfied": 1,
    # German
    "sehr zufrieden": 5, "äußerst zufrieden": 5, "vollkommen zufrieden": 5,
    "eher zufrieden": 4, "zufrieden": 4, "weder zufrieden noch unzufrieden": 3,
    "teils teils": 3, "eher unzufrieden": 2, "unzufrieden": 2,
    "sehr unzufrieden": 1, "äußerst unzufrieden": 1,
    # Polish
    "bardzo zadowolony": 5, "bardzo zadowolona": 5, "zdecydowanie zadowolony": 5,
    "raczej zadowolony": 4, "raczej zadowolona": 4, "zadowolony": 4, "zadowolona": 4,
    "ani zadowolony ani niezadowolony": 3, "ani zadowolona ani niezadowolona": 3,
    "neutralnie": 3, "raczej niezadowolony": 2, "raczej niezadowolona": 2,
    "niezadowolony": 2, "niezadowolona": 2, "bardzo niezadowolony": 1,
    "bardzo niezadowolona": 1, "zdecydowanie niezadowolony": 1,
    # French
    "très satisfait": 5, "très satisfaite": 5, "extrêmement satisfait": 5,
    "plutôt satisfait": 4, "plutôt satisfaite": 4, "satisfait": 4, "satisfaite": 4,
    "ni satisfait ni insatisfait": 3, "neutre": 3, "plutôt insatisfait": 2,
    "plutôt insatisfaite": 2, "insatisfait": 2, "insatisfaite": 2, "très insatisfait": 1,
    "très insatisfaite": 1, "pas du tout satisfait": 1,
    # Spanish
    "muy satisfecho": 5, "muy satisfecha": 5, "extremadamente satisfecho": 5,
    "algo satisfecho": 4, "algo satisfecha": 4, "satisfecho": 4, "satisfecha": 4,
    "ni satisfecho ni insatisfecho": 3, "ni satisfecha ni insatisfecha": 3,
    "algo insatisfecho": 2, "algo insatisfecha": 2, "insatisfecho": 2, "insatisfecha": 2,
    "muy insatisfecho": 1, "muy insatisfecha": 1, "extremadamente insatisfecho": 1,
    # Thai
    "พอใจมากที่สุด": 5, "พอใจมาก": 5, "พอใจ": 4, "เฉยๆ": 3, "ปานกลาง": 3,
    "ไม่พอใจ": 2, "ไม่พอใจมาก": 1, "ไม่พอใจอย่างมาก": 1,
}
# The plain labels of a 3-point scale, as their 5-point values (4 -> 3, 3 -> 2, 2 -> 1).
_PLAIN3 = {
    "satisfied", "neutral", "dissatisfied", "unsatisfied", "zufrieden", "unzufrieden",
    "zadowolony", "zadowolona", "niezadowolony", "niezadowolona", "neutralnie", "satisfait",
    "satisfaite", "insatisfait", "insatisfaite", "neutre", "satisfecho", "satisfecha",
    "insatisfecho", "insatisfecha", "พอใจ", "เฉยๆ", "ปานกลาง", "ไม่พอใจ",
    "neither satisfied nor dissatisfied", "weder zufrieden noch unzufrieden",
    "ani zadowolony ani niezadowolony", "ni satisfait ni insatisfait",
    "ni satisfecho ni insatisfecho",
}
_ZENDESK: dict[str, float] = {
    "good": 1, "good i m satisfied": 1, "bad": 0, "bad i m unsatisfied": 0,
}
NO_RATING_WORDS = {"offered", "unoffered", "not offered", "not answered", "no rating"}
_EASE: dict[str, float] = {
    "very easy": 5, "easy": 4, "neither easy nor difficult": 3, "difficult": 2,
    "very difficult": 1, "sehr einfach": 5, "einfach": 4, "schwierig": 2, "sehr schwierig": 1,
    "bardzo łatwo": 5, "łatwo": 4, "trudno": 2, "bardzo trudno": 1, "très facile": 5,
    "facile": 4, "difficile": 2, "très difficile": 1, "muy fácil": 5, "fácil": 4,
    "difícil": 2, "muy difícil": 1, "ง่ายมาก": 5, "ง่าย": 4, "ยาก": 2, "ยากมาก": 1,
}
_AGREE7: dict[str, float] = {
    "strongly agree": 7, "agree": 6, "somewhat agree": 5, "neither agree nor disagree": 4,
    "somewhat disagree": 3, "disagree": 2, "strongly disagree": 1,
    "stimme voll und ganz zu": 7, "stimme zu": 6, "stimme eher zu": 5, "weder noch": 4,
    "stimme eher nicht zu": 3, "stimme nicht zu": 2, "stimme überhaupt nicht zu": 1,
    "zdecydowanie się zgadzam": 7, "zgadzam się": 6, "raczej się zgadzam": 5,
    "ani się zgadzam ani nie zgadzam": 4, "raczej się nie zgadzam": 3, "nie zgadzam się": 2,
    "zdecydowanie się nie zgadzam": 1, "tout à fait d accord": 7, "d accord": 6,
    "plutôt d accord": 5, "ni d accord ni pas d accord": 4, "plutôt pas d accord": 3,
    "pas d accord": 2, "pas du tout d accord": 1, "totalmente de acuerdo": 7,
    "de acuerdo": 6, "algo de acuerdo": 5, "ni de acuerdo ni en desacuerdo": 4,
    "algo en desacuerdo": 3, "en desacuerdo": 2, "totalmente en desacuerdo": 1,
}
# fmt: on

# family -> folded label -> value
TABLES: dict[str, dict[str, float]] = {
    family: {normalize_name(k): v for k, v in table.items()}
    for family, table in (
        ("csat", _CSAT5),
        ("csat2", _ZENDESK),
        ("ease", _EASE),
        ("agree", _AGREE7),
    )
}
_PLAIN3_FOLDED = {normalize_name(k) for k in _PLAIN3}
_NO_RATING = {normalize_name(w) for w in NO_RATING_WORDS}


def fold(text: str) -> str:
    """A label as the tables hold it; "4 - Very satisfied" keeps only its words."""
    return normalize_name(text)


@lru_cache(maxsize=4096)  # a score column repeats a handful of labels over many rows
def rating_word(text: str) -> tuple[str, float] | None:
    """(family, value) of a rating label, or None when it is no known label."""
    key = fold(text)
    for family, table in TABLES.items():
        if key in table:
            return family, table[key]
    return None


@lru_cache(maxsize=4096)
def is_no_rating(text: str) -> bool:
    """A help desk's "offered"/"unoffered": the survey was not answered, so there is no score."""
    return fold(text) in _NO_RATING


def three_point(labels: set[str]) -> bool:
    """Only the plain satisfied / neutral / dissatisfied labels: a 3-point scale."""
    return bool(labels) and all(fold(w) in _PLAIN3_FOLDED for w in labels)
