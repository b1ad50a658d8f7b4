"""Start-up cost of the keyword indexes: seconds to build every shipped taxonomy's index for each
language, as ``--taxonomy auto`` does for the languages of a file (the diacritic maps of
``themes/keywords.py`` are built here). The spaCy pipeline of each language is loaded first and
not counted. Compare two revisions in one sitting, the older one from a checkout:

    .venv/bin/python scripts/bench_keyword_index.py --langs pl es de fr
    PYTHONPATH=/tmp/old-checkout .venv/bin/python scripts/bench_keyword_index.py --langs pl es de fr
"""

from __future__ import annotations

import argparse
import sys
import time

from feedback_nlp.text.pipelines import get_pipeline
from feedback_nlp.themes.keywords import KeywordMatcher
from feedback_nlp.themes.taxonomy_file import load_taxonomy

SHIPPED = ("banking", "ecommerce-cx", "railway", "restaurant", "saas", "telecom", "travel")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--langs", nargs="+", default=["pl", "es", "de", "fr"])
    ap.add_argument("--taxonomies", nargs="+", default=list(SHIPPED))
    args = ap.parse_args(argv)
    taxonomies = [load_taxonomy(name) for name in args.taxonomies]
    for lang in args.langs:
        get_pipeline(lang)
        start = time.perf_counter()
        for taxonomy in taxonomies:
            KeywordMatcher(taxonomy).index(lang)
        print(f"{lang}: {time.perf_counter() - start:.2f} s for {len(taxonomies)} taxonomies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
