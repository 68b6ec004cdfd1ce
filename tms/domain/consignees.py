"""Who a parcel goes to: one normalised identity of a person and an address (or pickup point).

Orders merge only when they go to the same person at the same place. Two ways of writing the same
consignee give the same identity:

- case, accents and punctuation fold away: "Léa Martin" = "LEA MARTIN", "Saint-Honoré" = "SAINT HONORE";
- French street words and their usual abbreviations are one word (where the country writes French:
  FR, MC, BE, LU, CH): r./rue, av./avenue, bd/boulevard, st/saint, ste/sainte, fbg/faubourg,
  imp./impasse, pl./place, chem./chemin, rte/route, all./allée, sq./square, crs/cours, pass./passage,
  qu./quai, res./résidence, bât./bâtiment, apt/appartement, esc./escalier, lot./lotissement;
- a house number and its suffix are two words: "41bis" = "41 bis";
- the name's words in any order, courtesy titles (M., Mme, Mlle, Mr, Dr, ...) left out:
  "Martin Léa" = "Léa Martin" = "Mme Léa Martin".

Everything else must match: country, postcode, city, street line, and for a pickup point the
carrier, the point and the person who collects the parcel.
"""

from __future__ import annotations

import re
import unicodedata

FRENCH_WRITING = frozenset({"FR", "MC", "BE", "LU", "CH"})

STREET_WORDS = {
    "R": "RUE",
    "AV": "AVENUE",
    "AVE": "AVENUE",
    "BD": "BOULEVARD",
    "BLD": "BOULEVARD",
    "BOUL": "BOULEVARD",
    "BVD": "BOULEVARD",
    "ST": "SAINT",
    "STE": "SAINTE",
    "FBG": "FAUBOURG",
    "FG": "FAUBOURG",
    "IMP": "IMPASSE",
    "PL": "PLACE",
    "CHEM": "CHEMIN",
    "CH": "CHEMIN",
    "RTE": "ROUTE",
    "ALL": "ALLEE",
    "SQ": "SQUARE",
    "CRS": "COURS",
    "PASS": "PASSAGE",
    "QU": "QUAI",
    "RES": "RESIDENCE",
    "BAT": "BATIMENT",
    "APT": "APPARTEMENT",
    "APPT": "APPARTEMENT",
    "ESC": "ESCALIER",
    "LOT": "LOTISSEMENT",
}
COURTESY_TITLES = frozenset(
    {"M", "MR", "MM", "MME", "MMES", "MLLE", "MRS", "MS", "DR", "MONSIEUR", "MADAME", "MADEMOISELLE"}
)


def folded(text: str) -> str:
    """Upper case, no accents, punctuation or repeated spaces: '12, rue de l'Église' -> '12 RUE DE L EGLISE'.
    Letters of every script are kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    unaccented = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", " ", unaccented.upper()).strip()


def place_words(text: str, country: str) -> str:
    """A street line or city as one spelling: folded, numbers apart from their suffix, French street
    abbreviations written out where the country writes French."""
    words = re.sub(r"(\d)([^\W\d_])", r"\1 \2", folded(text)).split()
    if country.upper() in FRENCH_WRITING:
        words = [STREET_WORDS.get(word, word) for word in words]
    return " ".join(words)


def person_words(name: str) -> str:
    """A person's name as one spelling: folded, without courtesy titles, its words in sorted order."""
    words = [word for word in folded(name).split() if word not in COURTESY_TITLES]
    return " ".join(sorted(words))


def address_identity(name: str, line1: str, postcode: str, city: str, country: str) -> str:
    """The consignee at a home address."""
    parts = (folded(country), folded(postcode), place_words(city, country), place_words(line1, country))
    return "addr:" + "|".join((*parts, person_words(name)))


def pickup_identity(carrier: str, point_id: str, name: str) -> str:
    """The consignee at a pickup point: the point of that carrier's network, and who collects there."""
    return f"point:{carrier}:{point_id.strip().upper()}|{person_words(name)}"
