"""Mapping a sentiment classifier's own labels onto negative/neutral/positive.

>>> map_labels({0: "NEGATIVE", 1: "POSITIVE"})
[0, 2]
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from feedback_nlp.errors import ModelError

NEGATIVE, NEUTRAL, POSITIVE = 0, 1, 2

# ---------------------------------------------------------------------------------------------
# Label mapping of third-party classifiers


_NEG = {"negative", "neg", "negatif", "negativ", "negativo", "negatywny", "bad", "minus"}
_NEU = {"neutral", "neu", "neutre", "neutro", "neutralny", "mixed", "zero", "none"}
_POS = {"positive", "pos", "positif", "positiv", "positivo", "pozytywny", "good", "plus"}
_STARS = re.compile(r"^([1-5])\s*(star|stars|sterne?|étoiles?|estrellas?|gwiazdk[ai]?)?$")


def map_labels(id2label: Mapping[int, str]) -> list[int | None]:
    """Map a classifier's labels onto 0 = negative, 1 = neutral, 2 = positive.

    Rules, in order:

    * names (any case): negative/neutral/positive and common spellings (``NEG``, ``neu``,
      ``Positive``, ``negativo``, ...);
    * stars: ``1 star`` … ``5 stars`` (or bare ``1``…``5``): 1–2 negative, 3 neutral, 4–5 positive —
      their probabilities are summed;
    * generic ``LABEL_0``…: with three labels 0/1/2 = negative/neutral/positive (the order of
      cardiffnlp's Twitter models), with two labels 0/1 = negative/positive.

    A label that maps to nothing gets None (its probability is ignored and the rest renormalised),
    but at least negative and positive must be found; otherwise :class:`ModelError` says which
    labels were found and how to proceed.

    >>> map_labels({0: "NEGATIVE", 1: "POSITIVE"})
    [0, 2]
    >>> map_labels({0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"})
    [0, 0, 1, 2, 2]
    """
    ids = sorted(int(i) for i in id2label)
    if ids != list(range(len(ids))):
        raise ModelError(
            f"the classifier's label ids are not 0..n-1: {ids}; fix its config.json id2label"
        )
    names = [str(id2label[i]).strip() for i in ids]
    lowered = [n.lower().replace("_", " ").replace("-", " ").strip() for n in names]

    generic = [re.fullmatch(r"label ?(\d+)", n) for n in lowered]
    if all(generic):
        numbers = [int(m.group(1)) for m in generic]  # type: ignore[union-attr]
        if numbers == [0, 1, 2]:
            return [NEGATIVE, NEUTRAL, POSITIVE]
        if numbers == [0, 1]:
            return [NEGATIVE, POSITIVE]
        _unmappable(names, "generic LABEL_n names are only understood for 2 or 3 labels")

    mapping: list[int | None] = []
    for n in lowered:
        star = _STARS.match(n)
        if star:
            stars = int(star.group(1))
            mapping.append(NEGATIVE if stars <= 2 else NEUTRAL if stars == 3 else POSITIVE)
        elif n in _NEG or n.startswith("negativ"):
            mapping.append(NEGATIVE)
        elif n in _POS or n.startswith("positiv"):
            mapping.append(POSITIVE)
        elif n in _NEU:
            mapping.append(NEUTRAL)
        else:
            mapping.append(None)
    if NEGATIVE not in mapping or POSITIVE not in mapping:
        _unmappable(names, "no negative and positive labels could be recognised")
    return mapping


def _unmappable(names: list[str], why: str) -> None:
    raise ModelError(
        f"cannot map the sentiment model's labels {names} onto negative/neutral/positive ({why}). "
        "Expected names such as negative/neutral/positive, '1 star'..'5 stars', or LABEL_0..LABEL_2 "
        "(read as negative/neutral/positive). Fix: set id2label in the model's config.json to those "
        "names, or use --sentiment-model builtin."
    )
