"""``taxonomy="auto"``: the shipped taxonomy that covers the most of a sample is chosen, said and
recorded; a taxonomy the user names is used without sampling. Small in-test taxonomies stand in
for the shipped ones (keywords only: the stand-in embedder's similarities mean little)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import HashEmbedder, KeywordSentiment
from typer.testing import CliRunner

import feedback_nlp as fnlp
from feedback_nlp import schema as s
from feedback_nlp.analysis import choose
from feedback_nlp.analysis.models import Models
from feedback_nlp.errors import ModelError, TaxonomyError
from feedback_nlp.manifest import describe_choice
from feedback_nlp.themes.taxonomy_file import load_taxonomy

NO_SEMANTIC = "matching: {semantic_threshold: 1.0}\n"
SHOP = """
name: shop
version: 1
touchpoints:
  delivery:
    label: Delivery
    themes:
      late_delivery:
        label: Late delivery
        description: The parcel arrived late.
        keywords: {en: [parcel, courier]}
  overall:
    label: Overall
    themes:
      general:
        label: General experience
        description: The experience overall.
        keywords: {en: [experience]}
"""
RAIL = """
name: rail
version: 1
touchpoints:
  journey:
    label: Journey
    themes:
      delays:
        label: Delays
        description: The train was late.
        keywords: {en: [train, platform]}
"""
RAIL_TEXTS = [
    "The train was forty minutes late.",
    "Nobody told us the platform had changed.",
    "The train was cancelled again.",
    "The courier was friendly though.",
    "Seats were dirty.",
]


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """Two taxonomies stand in for the shipped ones."""
    paths = {}
    for name, body in (("shop", SHOP), ("rail", RAIL)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(body + NO_SEMANTIC, encoding="utf-8")
        paths[name] = str(path)
    monkeypatch.setattr(choose, "shipped_taxonomies", lambda: [paths["shop"], paths["rail"]])
    return paths


def stand_ins(options=None, **_kw) -> Models:
    """What `run()` loads, with stand-in transformers: the taxonomy as its options say."""
    return Models(options, sentiment=KeywordSentiment(), embedder=HashEmbedder())


def test_the_taxonomy_whose_keywords_cover_the_sample_is_chosen(shipped):
    choice, matcher = choose.choose_taxonomy(RAIL_TEXTS, ["en"] * 5, embed=None)
    assert choice.chosen == shipped["rail"] and choice.how == "auto"
    assert matcher.taxonomy.name == "rail"
    coverage = {c.name: c for c in choice.candidates}
    assert coverage[shipped["rail"]].coverage == pytest.approx(3 / 5)
    assert coverage[shipped["shop"]].coverage == pytest.approx(1 / 5)
    assert coverage[shipped["rail"]].keyword_coverage == pytest.approx(3 / 5)
    assert choice.sample == 5 and choice.fits  # 60 % >= the 35 % floor


def test_analyze_with_auto_uses_and_records_the_chosen_taxonomy(shipped):
    frame = pd.DataFrame({"text": RAIL_TEXTS + [""]})
    result = fnlp.analyze(frame, models=stand_ins())
    record = result.manifest["taxonomy_choice"]
    assert record["chosen"] == shipped["rail"] and record["how"] == "auto"
    assert record["sample"] == 5  # the empty row is not sampled
    assert [c["name"] for c in record["candidates"]] == [shipped["rail"], shipped["shop"]]
    assert set(result.mentions.loc[result.mentions[s.MATCH] == "keyword", s.THEME]) == {"delays"}
    assert result.manifest["models"]["taxonomy"].startswith("rail@")


def test_a_named_taxonomy_or_file_is_used_without_sampling(shipped, monkeypatch):
    def no_sampling(*_a, **_kw):
        raise AssertionError("a given taxonomy must not be chosen again")

    monkeypatch.setattr(choose, "choose_taxonomy", no_sampling)
    models = Models(taxonomy=shipped["shop"], sentiment=KeywordSentiment(), embedder=HashEmbedder())
    result = fnlp.analyze(pd.DataFrame({"text": RAIL_TEXTS}), models=models)
    assert result.manifest["taxonomy_choice"] == {"chosen": "shop", "how": "given"}
    assert describe_choice(result.manifest["taxonomy_choice"]) == "shop (given)"


def test_near_ties_go_to_keyword_coverage_then_fewer_overall_mentions():
    c = choose.Coverage
    ranked = choose.rank_coverages(
        [
            c("semantic-only", 0.61, 0.10, 0),
            c("keywords", 0.60, 0.40, 9),
            c("same-keywords-less-overall", 0.595, 0.40, 2),
            c("far-behind", 0.30, 0.30, 0),
        ]
    )
    assert [r.name for r in ranked] == [
        "same-keywords-less-overall",
        "keywords",
        "semantic-only",
        "far-behind",
    ]
    clear = choose.rank_coverages([c("a", 0.70, 0.1, 0), c("b", 0.60, 0.6, 0)])
    assert clear[0].name == "a"  # ten points ahead is no tie


BANK = """
name: bank
version: 1
touchpoints:
  accounts:
    label: Accounts
    themes:
      fees:
        label: Account fees
        description: Fees on the account.
        keywords: {en: [account, payment, overdraft, credit report]}
"""
STORE = """
name: store
version: 1
touchpoints:
  orders:
    label: Orders
    themes:
      payment:
        label: Payment
        description: Paying for an order.
        keywords: {en: [account, payment, receipt, parcel]}
"""
NARRATIVES = [
    "An overdraft fee hit my account after one payment.",
    "The credit report lists an account I never opened.",
    "They took a payment from my account.",
    "The receipt shows the payment twice.",
]


def test_a_near_tie_goes_to_the_words_no_other_candidate_has(tmp_path, monkeypatch):
    # complaints name generic words every taxonomy knows ("account", "payment"): both candidates
    # cover every comment by keyword, and the store would win on its name; the bank's own words
    # (overdraft, credit report) in two comments against the store's one (receipt) decide
    paths = []
    for name, body in (("a_store", STORE), ("z_bank", BANK)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(body + NO_SEMANTIC, encoding="utf-8")
        paths.append(str(path))
    monkeypatch.setattr(choose, "shipped_taxonomies", lambda: paths)
    choice, _ = choose.choose_taxonomy(NARRATIVES, ["en"] * 4, embed=None)
    coverage = {c.name: c for c in choice.candidates}
    store, bank = coverage[paths[0]], coverage[paths[1]]
    assert store.coverage == bank.coverage == store.keyword_coverage == bank.keyword_coverage == 1
    assert (bank.distinct_keyword_coverage, store.distinct_keyword_coverage) == (0.5, 0.25)
    assert choice.chosen == paths[1]
    assert choice.to_dict()["candidates"][0]["distinct_keyword_coverage"] == 0.5
    assert choose.TaxonomyChoice.from_dict(choice.to_dict()) == choice
    assert describe_choice(choice.to_dict()) == (
        f"{paths[1]} (auto: covers 100 % of 4 sampled comments; next: {paths[0]} 100 %, "
        "a near tie won by words no other taxonomy has: 50 % against 25 %)"
    )


def test_low_coverage_says_no_taxonomy_fits_well(shipped):
    texts = ["Seats were dirty.", "Too loud.", "The train was late.", "Nice view."]
    choice, _ = choose.choose_taxonomy(texts, ["en"] * 4, embed=None)
    assert choice.chosen == shipped["rail"] and not choice.fits  # 25 % < 35 %
    message = describe_choice(choice.to_dict())
    assert "no shipped taxonomy fits well" in message and "25 %" in message
    assert "discovery" in message and "35 %" in message


def test_sample_is_seeded_spread_over_the_file_and_bounded():
    picked = choose.sample_positions(10_000, size=400, seed=0)
    assert len(picked) == 400 and len(set(picked.tolist())) == 400
    assert np.array_equal(picked, choose.sample_positions(10_000, size=400, seed=0))
    # one in each of 400 stretches of 25 rows: both ends of the file are seen
    assert (picked // 25 == np.arange(400)).all()
    assert choose.sample_positions(7, size=400).tolist() == list(range(7))


def test_the_choice_is_printed_once_on_a_terminal(shipped, tmp_path, monkeypatch):
    from feedback_nlp.cli import app, runs, shell
    from feedback_nlp.runner import pipeline

    monkeypatch.setattr(pipeline, "Models", stand_ins)
    export = tmp_path / "export.csv"
    pd.DataFrame({"Comment": RAIL_TEXTS * 2, "NPS": [2, 3, 1, 9, 5] * 2}).to_csv(export)
    for tty in (True, False):
        # what progress_printer gives on a terminal (stderr a TTY) and elsewhere
        printer = shell.ProgressPrinter(shell.err) if tty else None
        monkeypatch.setattr(runs, "progress_printer", lambda _quiet, p=printer: p)
        out = tmp_path / f"out_{tty}"
        result = CliRunner().invoke(app, ["analyze", str(export), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert result.output.count("Taxonomy: ") == 1, result.output


def test_auto_is_no_file_and_unchosen_models_say_so():
    with pytest.raises(TaxonomyError, match="chosen per export"):
        load_taxonomy("auto")
    with pytest.raises(ModelError, match="not chosen yet"):
        _ = stand_ins().taxonomy


def test_run_records_the_choice_in_manifest_report_and_prints_it(shipped, tmp_path, monkeypatch):
    from feedback_nlp.cli import app
    from feedback_nlp.runner import pipeline

    monkeypatch.setattr(pipeline, "Models", stand_ins)
    export = tmp_path / "export.csv"
    pd.DataFrame({"Comment": RAIL_TEXTS * 2, "NPS": [2, 3, 1, 9, 5] * 2}).to_csv(export)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["analyze", str(export), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Taxonomy: " in result.output and "covers 60 % of 10 sampled comments" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["taxonomy_choice"]["chosen"] == shipped["rail"]
    # what Ray workers load and what a resumed run compares: the chosen taxonomy, never "auto"
    assert manifest["options"]["models"]["taxonomy"] == shipped["rail"]
    assert manifest["models"]["taxonomy"].startswith("rail@")
    assert "**Taxonomy:** " in (out / "report.md").read_text(encoding="utf-8")
    assert "Taxonomy: " in (out / "report.html").read_text(encoding="utf-8")

    # re-rendering an existing folder repeats the recorded choice, without choosing again
    monkeypatch.setattr(choose, "choose_taxonomy", lambda *_a, **_kw: 1 / 0)
    (out / "report.md").unlink()
    again = CliRunner().invoke(app, ["report", str(out), "-q"])
    assert again.exit_code == 0, again.output
    assert describe_choice(manifest["taxonomy_choice"]) in (out / "report.md").read_text(
        encoding="utf-8"
    ).replace("\\", "")

    quiet = CliRunner().invoke(app, ["analyze", str(export), "-o", str(out), "--quiet",
                                     "--taxonomy", shipped["shop"]])  # fmt: skip
    assert quiet.exit_code == 0 and "Taxonomy" not in quiet.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["taxonomy_choice"] == {"chosen": "shop", "how": "given"}


def test_a_warm_run_reads_its_choice_back_until_a_candidate_changes(shipped, tmp_path, monkeypatch):
    from feedback_nlp.cache import ResultCache

    cache = ResultCache.open(tmp_path / "cache.sqlite")
    models = stand_ins().with_cache(cache)
    langs = ["en"] * len(RAIL_TEXTS)
    _, first = choose.resolve_taxonomy(models, RAIL_TEXTS, langs)
    assert first.chosen == shipped["rail"]

    real = choose.choose_taxonomy

    def no_sampling(*_a, **_kw):
        raise AssertionError("the stored choice must be read back")

    monkeypatch.setattr(choose, "choose_taxonomy", no_sampling)
    chosen_models, again = choose.resolve_taxonomy(models, RAIL_TEXTS, langs)
    assert again == first and chosen_models.taxonomy.name == "rail"
    with pytest.raises(AssertionError):  # other comments: another sample, chosen afresh
        choose.resolve_taxonomy(models, RAIL_TEXTS[:4], langs[:4])
    # a candidate's content changes: its coverage may too, so the choice is made again
    path = shipped["shop"]
    before = load_taxonomy(path).fingerprint
    text = Path(path).read_text(encoding="utf-8")
    edited = text.replace("keywords: {en: [experience]}", "keywords: {en: [experience, seats]}")
    Path(path).write_text(edited, encoding="utf-8")
    assert load_taxonomy(path).fingerprint != before
    calls = []
    monkeypatch.setattr(
        choose, "choose_taxonomy", lambda *a, **kw: calls.append(1) or real(*a, **kw)
    )
    choose.resolve_taxonomy(models, RAIL_TEXTS, langs)
    cache.close()
    assert calls == [1]
