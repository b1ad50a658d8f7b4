"""A touchpoint's catch-all theme (`general: true`) gives way to a specific theme of the same
touchpoint in the same clause (issue 18; semantic.yield_matrix, semantic.prefer_specific).
Tiny taxonomies, blank pipelines, stand-in encoders: no models."""

from __future__ import annotations

import numpy as np
import pytest

from feedback_nlp import schema as s
from feedback_nlp.errors import TaxonomyError
from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
from feedback_nlp.themes.matcher import match_themes
from feedback_nlp.themes.semantic import giving_way, yield_matrix
from feedback_nlp.themes.taxonomy_file import check_taxonomy, load_taxonomy, taxonomy_from_dict


def theme(label, keywords, example, **extra):
    return {"label": label, "keywords": {"en": keywords}, "examples": [example], **extra}


def billing_taxonomy(flag: bool = True, keyword_margin: float = 0.03) -> dict:
    general = {"general": True} if flag else {}
    return {
        "name": "catch-all",
        "version": 1,
        # no plain semantic match (threshold 0.9): only keywords find themes here
        "matching": {"semantic_threshold": 0.9, "keyword_margin": keyword_margin},
        "touchpoints": {
            "billing": {
                "label": "Billing",
                "themes": {
                    "billing_general": theme("Billing in general", ["bill"], "bill", **general),
                    "billing_errors": theme("Overcharged", ["overcharged"], "overcharged"),
                },
            },
            "customer_service": {
                "label": "Customer service",
                "themes": {"staff": theme("Rude staff", ["rude"], "rude staff")},
            },
            "overall": {
                "label": "Overall",
                "themes": {"general": theme("General", ["terrible"], "terrible overall")},
            },
        },
    }


MARKERS = ("bill", "over", "rude", "terrible")


def bill_embed(texts) -> np.ndarray:
    """Clauses and prototypes that say "bill" lie close to the catch-all: by meaning it is the
    more specific keyword theme, so the keyword margin alone would keep it and drop the error."""
    out = np.full((len(texts), len(MARKERS) + 1), 0.2, dtype=np.float32)
    for i, text in enumerate(texts):
        words = text.lower().split()
        out[i, 1:] = [3.0 * sum(w.startswith(m) for w in words) for m in MARKERS]
        out[i, 2] *= 0.2  # "over" weighs little: the error theme is the weaker match
    return out / np.linalg.norm(out, axis=1, keepdims=True)


TEXTS = [
    "overcharged on my bill",  # the error, not billing in general
    "my bill is confusing",  # only the catch-all: it stays
    "bill again and rude staff",  # a specific theme of ANOTHER touchpoint: the catch-all stays
    "terrible bill",  # the general touchpoint gives way to the catch-all (both specific to it)
]


def found(data, embed):
    clauses = split_clauses(TEXTS, ["en"] * len(TEXTS))
    mentions = match_themes(clauses, taxonomy_from_dict(data), embed=embed)
    return set(zip(mentions[COMMENT_INDEX], mentions[s.THEME]))


@pytest.mark.parametrize("embed", [None, bill_embed], ids=["keywords only", "with an encoder"])
def test_a_catch_all_gives_way_to_a_specific_theme_of_its_touchpoint(embed):
    assert found(billing_taxonomy(), embed) == {
        (0, "billing_errors"),
        (1, "billing_general"),
        (2, "billing_general"),
        (2, "staff"),
        (3, "billing_general"),
    }


def test_without_the_flag_nothing_is_guessed_from_names():
    # keyword margin off: every keyword theme stays, and "billing_general" is not a catch-all
    got = found(billing_taxonomy(flag=False, keyword_margin=2.0), bill_embed)
    assert {(0, "billing_errors"), (0, "billing_general")} <= got


def test_the_catch_all_takes_no_part_in_the_keyword_margin():
    """Without the flag the encoder finds the catch-all closer and the keyword margin drops the
    error theme; with it the error stays."""
    assert (0, "billing_errors") not in found(billing_taxonomy(flag=False), bill_embed)
    assert (0, "billing_errors") in found(billing_taxonomy(), bill_embed)


def test_a_general_theme_takes_no_part_in_the_keyword_margin():
    """The same for the general touchpoint: "terrible" closer by meaning than "rude" no longer
    leaves the clause under the general theme alone."""

    def terrible_embed(texts) -> np.ndarray:
        out = bill_embed(texts)
        out[:, 3] *= 0.2  # "rude" weighs little
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    clauses = split_clauses(["terrible rude staff"], ["en"])
    mentions = match_themes(clauses, taxonomy_from_dict(billing_taxonomy()), embed=terrible_embed)
    assert mentions[s.THEME].tolist() == ["staff"]


def test_yield_matrix_and_giving_way():
    tax = taxonomy_from_dict(billing_taxonomy())
    ids = [t.id for t in tax.themes]
    yields = yield_matrix(tax.themes)
    pairs = {(ids[j], ids[k]) for j, k in np.argwhere(yields).tolist()}
    assert pairs == {
        ("billing_general", "billing_errors"),
        ("general", "billing_general"),
        ("general", "billing_errors"),
        ("general", "staff"),
    }
    hits = np.array([[True, True, False, True]])  # catch-all, error, general
    assert giving_way(hits, yields).tolist() == [[True, False, False, True]]
    assert not giving_way(np.zeros((0, 4), dtype=bool), yields).any()


def test_the_flag_is_read_checked_and_written_back(tmp_path):
    tax = taxonomy_from_dict(billing_taxonomy())
    assert tax.theme("billing", "billing_general").general
    assert not tax.theme("billing", "billing_errors").general
    data = tax.to_dict()["touchpoints"]["billing"]["themes"]
    assert data["billing_general"]["general"] is True
    assert "general" not in data["billing_errors"]  # unset: not written, fingerprints keep
    assert taxonomy_from_dict(tax.to_dict()) == taxonomy_from_dict(billing_taxonomy())
    frame = tax.to_frame().set_index("theme")
    assert frame.loc["billing_general", "general"] and not frame.loc["staff", "general"]

    bad = billing_taxonomy()
    bad["touchpoints"]["billing"]["themes"]["billing_general"]["general"] = "sometimes"
    with pytest.raises(TaxonomyError, match=r"billing_general\.general: expected true or false"):
        taxonomy_from_dict(bad)
    lonely = billing_taxonomy()
    lonely["touchpoints"]["customer_service"]["themes"]["staff"]["general"] = True
    with pytest.raises(TaxonomyError, match=r"customer_service\.themes: 'general: true'"):
        taxonomy_from_dict(lonely)
    path = tmp_path / "typo.yaml"
    path.write_text(
        "name: t\ntouchpoints:\n  a:\n    label: A\n    themes:\n"
        "      x: {label: X, keywords: {en: [x]}, generl: true}\n"
        "      y: {label: Y, keywords: {en: [y]}}\n",
        encoding="utf-8",
    )
    assert any("did you mean 'general'" in p for p in check_taxonomy(path))


def test_shipped_catch_alls_have_a_specific_sibling():
    telecom = load_taxonomy("telecom")
    marked = {t.key for t in telecom.themes if t.general}
    assert marked == {
        ("network_quality", "internet_quality"),
        ("billing", "billing_general"),
        ("customer_service", "customer_service_general"),
    }
