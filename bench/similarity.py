"""Duplicate detection measured on the labelled pairs: precision and recall per language for
each method compared, and the cost of a new post's comparison at 1,000 posts.

    python -m bench.similarity            # the table, the chosen method's confusion figures
    python -m bench.similarity --sweep    # every threshold from 0.30 to 0.90 as well
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz
from sklearn.feature_extraction.text import TfidfVectorizer

from insights import similarity

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "data" / "similar_pairs.tsv"


@dataclass(frozen=True)
class Pair:
    language: str
    duplicate: bool
    label: str
    a: str
    b: str


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    rows = csv.DictReader(lines, delimiter="\t")
    return [Pair(r["lang"], r["label"] == "duplicate", r["label"], r["a"], r["b"]) for r in rows]


@dataclass(frozen=True)
class Confusion:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.2f} recall {self.recall:.2f} "
            f"(TP {self.tp} FP {self.fp} FN {self.fn} TN {self.tn})"
        )


def confusion(pairs: list[Pair], scores: list[float], threshold: float) -> Confusion:
    tp = fp = fn = tn = 0
    for pair, score in zip(pairs, scores, strict=True):
        said = score >= threshold
        tp += said and pair.duplicate
        fp += said and not pair.duplicate
        fn += not said and pair.duplicate
        tn += not said and not pair.duplicate
    return Confusion(tp, fp, fn, tn)


def hashed_ngrams(pairs: list[Pair], language: str) -> list[float]:
    """The chosen method (insights.similarity)."""
    return [similarity.similarity(p.a, p.b, language) for p in pairs]


def fitted_tfidf(pairs: list[Pair], language: str) -> list[float]:
    """Character n-gram TF-IDF fitted on the language's posts, no stop words: scikit-learn's
    textbook setup, as a workshop's own posts would fit it."""
    texts = sorted({t for p in pairs for t in (p.a, p.b)})
    model = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    model.fit(texts)
    out = []
    for p in pairs:
        m = model.transform([p.a, p.b])
        out.append(float(m[0].multiply(m[1]).sum()))
    return out


def fuzzy_tokens(pairs: list[Pair], language: str) -> list[float]:
    """rapidfuzz's token-set ratio of the lower-cased posts, 0..1."""
    return [fuzz.token_set_ratio(p.a.lower(), p.b.lower()) / 100 for p in pairs]


def fuzzy_ratio(pairs: list[Pair], language: str) -> list[float]:
    """rapidfuzz's plain edit-distance ratio, 0..1: near-identical strings only."""
    return [fuzz.ratio(p.a.lower(), p.b.lower()) / 100 for p in pairs]


METHODS: dict[str, Callable[[list[Pair], str], list[float]]] = {
    "hashed char n-grams, stop words (chosen)": hashed_ngrams,
    "fitted char TF-IDF (sklearn char_wb 3-5)": fitted_tfidf,
    "rapidfuzz token_set_ratio": fuzzy_tokens,
    "rapidfuzz ratio": fuzzy_ratio,
}


def best_threshold(pairs: list[Pair], scores: list[float]) -> tuple[float, Confusion]:
    """The threshold with the best F1 that keeps precision at 0.85 or more (or the best F1)."""
    best: tuple[float, float, Confusion] | None = None
    for step in range(30, 91):
        t = step / 100
        c = confusion(pairs, scores, t)
        f1 = 2 * c.precision * c.recall / (c.precision + c.recall or 1)
        key = (c.precision >= 0.85, f1)
        if best is None or key > (best[2].precision >= 0.85, best[1]):
            best = (t, f1, c)
    assert best is not None
    return best[0], best[2]


def figures(threshold: float = similarity.DUPLICATE_THRESHOLD) -> dict[str, Confusion]:
    """The chosen method's confusion figures per language at `threshold`."""
    pairs = load_pairs()
    out = {}
    for language in ("sv", "en"):
        mine = [p for p in pairs if p.language == language]
        out[language] = confusion(mine, hashed_ngrams(mine, language), threshold)
    return out


def post_cost(posts: int = 1000, rounds: int = 200) -> float:
    """CPU seconds per new post compared with a workshop of `posts` posts (the index kept)."""
    pairs = load_pairs()
    texts = [t for p in pairs if p.language == "sv" for t in (p.a, p.b)]
    rng = random.Random(20)
    corpus = [f"{rng.choice(texts)} {rng.choice(texts).split()[0]}" for _ in range(posts)]
    similarity.forget_indexes()
    index = similarity.workshop_index(1, "sv", enumerate(corpus))
    start = time.process_time()
    for i in range(rounds):
        text = rng.choice(texts)
        index.scores(text)
        index.add(posts + i, text)
    return (time.process_time() - start) / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="print every threshold too")
    args = parser.parse_args()
    pairs = load_pairs()
    counts = {
        lang: sum(p.language == lang for p in pairs) for lang in sorted({p.language for p in pairs})
    }
    print(f"{len(pairs)} labelled pairs: {counts}")
    print("\nEach method at its own best threshold (best F1 with precision >= 0.85):")
    for name, method in METHODS.items():
        for language in ("sv", "en"):
            mine = [p for p in pairs if p.language == language]
            scores = method(mine, language)
            t, c = best_threshold(mine, scores)
            print(f"  {name:42} {language}  t={t:.2f}  {c}")
            if args.sweep:
                for step in range(30, 91, 5):
                    print(f"      t={step / 100:.2f}  {confusion(mine, scores, step / 100)}")
    print(f"\nChosen: hashed char n-grams at {similarity.DUPLICATE_THRESHOLD}:")
    for language, c in figures().items():
        print(f"  {language}: {c}")
    cost = post_cost()
    print(f"\nCPU per new post compared with 1,000 posts (index kept): {cost * 1000:.2f} ms")


if __name__ == "__main__":
    main()
