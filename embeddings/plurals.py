"""English plurals folded into their singular, so "engineers" and "engineer" are one term.

A few suffix rules and two short word lists, not a stemmer: a word is only ever changed
from a plural form into its singular, so "business", "Kubernetes", "class", "analysis"
or "JavaScript" stay as written. The folded form is only a key: a reason shows each term
as the job writes it (`embeddings.reasons`), so a rare wrong fold ("selfies" → "selfy")
can only join two words that are plural and singular of each other, or do nothing.
What matters is that two different words never fold into one, which the lists below
guard for the words job ads and CVs use. Only plain ASCII words of four letters or more
are folded: "aws", "ios" or "Führungskräfte" are left alone.
"""

from __future__ import annotations

# Words ending in "s" that are singular (or names) although a rule would fold them.
_SINGULAR_TEXT = (
    "kubernetes postgres jenkins redis postgis hris devops devsecops mlops llmops aiops "
    "gitops finops secops dataops macos centos keras pandas atlas canvas saas paas iaas "
    "faas windows rails news goods series species axis bias chaos kudos ethos"
)
_SINGULAR = frozenset(_SINGULAR_TEXT.split())
# Plurals the suffix rules would fold wrongly, with their singular.
IRREGULAR = {
    "indices": "index",
    "matrices": "matrix",
    "vertices": "vertex",
    "criteria": "criterion",
    "caches": "cache",
    "niches": "niche",
    "movies": "movie",
    "cookies": "cookie",
    "calories": "calorie",
    "metrics": "metric",
    "topics": "topic",
    "tactics": "tactic",
    "heuristics": "heuristic",
    "characteristics": "characteristic",
}
# Endings whose "es" is the plural's own (classes, boxes, matches, dashes, quizzes).
_ES_PLURALS = ("sses", "xes", "ches", "shes", "zzes")


def singular(word: str) -> str:
    """`word` (lower-case) in the singular when it is an English plural, else `word`."""
    folded = IRREGULAR.get(word)
    if folded is not None:
        return folded
    if (
        len(word) < 4
        or word[-1] != "s"
        or word in _SINGULAR
        or not (word.isascii() and word.isalpha())
    ):
        return word
    return _fold(word)


def _fold(word: str) -> str:
    """A plural ending removed from `word`, which ends in "s"; in the order that tells
    the endings apart ("-sses" before "-ss", "-yses" before "-es")."""
    if word.endswith(("ss", "us", "sis", "ics", "js")):
        return word  # class, status, analysis, physics, nodejs: singular
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"  # technologies, companies (but ties, lies)
    if word.endswith(("yses", "eses")):
        return word[:-2] + "is"  # analyses, hypotheses
    if word.endswith(_ES_PLURALS):
        return word[:-2]
    return word[:-1]  # engineers, apis, services, databases, videos, ideas
