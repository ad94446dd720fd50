"""A small corpus of dated articles by several authors and sources, in two formats, with
an exact duplicate and an article long enough to be indexed in parts (for the filter
options, the sort orders and the facets)."""

from __future__ import annotations

from pathlib import Path

from seedsearch.index import update_index
from seedsearch.schema import PART_CHARS


def _md(title: str, day: str, author: str, source: str, text: str) -> str:
    return f"---\ntitle: {title}\ndate: {day}\nauthor: {author}\nsource: {source}\n---\n\n{text}\n"


SOLAIRE = "Le solaire en ville"
BARRAGES = "Les barrages du Rhône"
EOLIEN = "L'éolien en mer du Nord"
RESEAU = "Le réseau et ses compteurs"
RAPPORT = "Le grand rapport annuel"
CUISINE = "La cuisine du dimanche"

FILES = {
    "presse/solaire.md": _md(
        SOLAIRE,
        "2024-03-01",
        "Marie Dupont",
        "Le Monde",
        "Les toits de Lyon produisent une énergie solaire abondante.",
    ),
    # The same article saved twice: one result.
    "copie/solaire.md": _md(
        SOLAIRE,
        "2024-03-01",
        "Marie Dupont",
        "Le Monde",
        "Les toits de Lyon produisent une énergie solaire abondante.",
    ),
    "presse/barrages.md": _md(
        BARRAGES,
        "2025-06-10",
        "Jean Martin",
        "Libération",
        "L'énergie des barrages : une énergie stockable, une énergie pilotable, énergie.",
    ),
    "archives/eolien.html": (
        "<!doctype html><html lang=fr><head><meta charset=utf-8>"
        f"<title>{EOLIEN}</title><meta name=author content='Marie Dupont'>"
        "<meta property='og:site_name' content='Le Monde'>"
        "<meta property='article:published_time' content='2023-01-05T08:00:00Z'>"
        "</head><body><article><h1>L'éolien en mer du Nord</h1>"
        "<p>Les éoliennes en mer fournissent de l'énergie aux côtes du Nord.</p>"
        "</article></body></html>"
    ),
    "presse/reseau.md": _md(
        RESEAU,
        "2025-06-10",
        "Paul Roy",
        "Le Monde",
        "Les compteurs du réseau électrique mesurent la consommation, et un peu l'énergie.",
    ),
    "rapports/rapport.md": _md(
        RAPPORT,
        "2022-09-01",
        "Zoé Lambert",
        "Rapports",
        "".join(
            f"Le chapitre {i} traite de l'énergie et des barrages de montagne.\n\n"
            for i in range(PART_CHARS // 50)
        ),
    ),
    "presse/cuisine.md": _md(
        CUISINE, "2025-01-20", "Paul Roy", "Le Monde", "Une recette de tarte aux pommes."
    ),
}
# "énergie": each result with its date, newest first (same day: the more relevant first).
NEWEST_FIRST = [BARRAGES, RESEAU, SOLAIRE, EOLIEN, RAPPORT]
OLDEST_FIRST = [RAPPORT, EOLIEN, SOLAIRE, BARRAGES, RESEAU]


def build(tmp: Path) -> Path:
    """Write the corpus under ``tmp`` and index it; the index folder."""
    root = tmp / "articles"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    index_dir = tmp / "index"
    update_index(index_dir, [str(root)])
    return index_dir
