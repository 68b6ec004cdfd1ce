"""The manager pages' French catalog is whole: every text the pages and their templates mark has a
French translation with the same placeholders, and the catalog keeps nothing they no longer say."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tms.web.i18n import TRANSLATIONS, read_catalogs

WEB = Path(__file__).resolve().parents[2] / "tms" / "web"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "NP_": ((1, "c"), 2)}  # as docs/translations.md extracts


def marked_texts() -> set[tuple[str | None, str | tuple[str, ...]]]:
    with (WEB / "babel.cfg").open() as cfg:
        methods, options = parse_mapping_cfg(cfg)
    found = set()
    for pattern, method in methods:
        files = sorted(WEB.glob(pattern))
        assert files, pattern
        for path in files:
            for _line, text, _comments, context in extract_from_file(
                method, str(path), keywords=KEYWORDS, options=options.get(pattern, {})
            ):
                found.add((context, text))
    return found


def french() -> Catalog:
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale="fr", abort_invalid=True)


def test_every_text_of_the_manager_pages_has_a_french_translation_and_no_other_is_kept() -> None:
    catalog = french()
    translated = {(m.context, m.id): m for m in catalog if m.id}
    marked = marked_texts()
    assert len(marked) > 300
    missing = sorted(str(t) for t in marked - set(translated))
    assert missing == [], f"not in the French catalog (docs/translations.md): {missing}"
    obsolete = sorted(str(t) for t in set(translated) - marked)
    assert obsolete == [], f"in the French catalog but no longer on the pages: {obsolete}"
    untranslated = [
        m.id
        for m in translated.values()
        if m.fuzzy or not all(m.string if isinstance(m.string, tuple) else (m.string,))
    ]
    assert untranslated == [], untranslated


def test_the_french_translations_keep_their_placeholders() -> None:
    problems = [(message.id, [str(e) for e in errors]) for message, errors in french().check()]
    assert problems == []


def test_the_catalogs_are_read_from_the_po_files_themselves() -> None:
    catalogs = read_catalogs()
    assert set(catalogs) == {"fr"}  # English is the msgid
    assert catalogs["fr"].gettext("Orders") == "Commandes"
    assert catalogs["fr"].pgettext("order", "delivered") == "livrée" and catalogs["fr"].gettext("delivered") == "livré"
    assert catalogs["fr"].ngettext("%(num)d box", "%(num)d boxes", 2) == "%(num)d cartons"
