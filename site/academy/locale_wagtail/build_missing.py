"""Find the msgids Wagtail and django-import-export leave without a zh_Hans translation and merge them here.

    .venv/bin/python site/academy/locale_wagtail/build_missing.py           # list + merge into our .po files
    .venv/bin/python site/academy/locale_wagtail/build_missing.py --check   # list only; exit 1 if work is left

Why this folder exists: Wagtail's zh_Hans catalogues cover only about 78% of its strings, so parts of the
admin ("Search all pages…", page and image counts, the editor-guide link) stay English. This folder is in
LOCALE_PATHS, which Django merges after (so above) every app's catalogue: a msgid translated here wins.
Because that merge is global per domain, our entry for a msgid also replaces any other app's translation of
the same msgid; new entries are therefore pre-filled (as fuzzy, to be reviewed) from an existing zh_Hans
translation of the same msgid elsewhere in Wagtail, django-import-export or Django, so the admin stays
consistent. The other way round, our entries must not override the project's own apps (exams/, courses/,
question_bank/ rank below LOCALE_PATHS too): a msgid one of them translates differently is left to it, and
our entry is kept as an obsolete `#~` entry (see merge()).

Sources of msgids:
- Wagtail: every `wagtail/**/locale/en/LC_MESSAGES/<domain>.po` lists all msgids of that app; an entry is
  missing when the same app's zh_Hans catalogue has no non-empty, non-fuzzy translation for it.
- django-import-export ships no `en` catalogue; the union of its locales' (non-obsolete) msgids serves.

JavaScript (djangojs domain): the admin loads its JS strings from /admin/jsi18n/, Wagtail's
`wagtail.admin.views.i18n.localized_js_catalog`, a `JavaScriptCatalog(packages=["wagtail.admin"])`. That view
builds `DjangoTranslation(locale, domain="djangojs", localedirs=[wagtail/admin/locale])`, whose __init__ then
calls `_add_local_translations()`, merging LOCALE_PATHS for whatever domain it was given (django 5.2,
django/utils/translation/trans_real.py). So LOCALE_PATHS *are* consulted for djangojs, and this script
maintains `djangojs.po` here just as it does `django.po`.

After translating every entry (no empty msgstr, no fuzzy flag left), compile with
`.venv/bin/python manage.py compile_translations` and check with `msgfmt --check-format -o /dev/null <po>`.
"""

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import import_export
import polib

import django

import wagtail

HERE = Path(__file__).resolve().parent
REPO_DIR = HERE.parents[2]
SITE_LOCALE_PATHS = {(REPO_DIR / "site" / "academy" / "locale").resolve(), HERE}  # LOCALE_PATHS in settings
SITE_PACKAGES = Path(django.__file__).resolve().parent.parent
LANGUAGE = "zh_Hans"
HEADER = {
    "Project-Id-Version": "Appraiser Academy: Wagtail and django-import-export zh_Hans supplement",
    "Report-Msgid-Bugs-To": "",
    "Language": LANGUAGE,
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    # Must equal Wagtail's zh_Hans plural rule: Django groups merged catalogues by plural function.
    "Plural-Forms": "nplurals=1; plural=0;",
}

Key = tuple[str | None, str]  # (msgctxt, msgid): how gettext tells entries apart


@dataclass
class Source:
    """One package's catalogue for one domain: where its msgids come from and its own zh_Hans translation."""

    label: str  # e.g. "wagtail/admin"
    domain: str  # "django" or "djangojs"
    msgid_catalogues: list[Path]
    zh_catalogue: Path | None


@dataclass
class Missing:
    entry: polib.POEntry  # the source entry (msgid, msgid_plural, msgctxt, flags)
    labels: list[str] = field(default_factory=list)
    occurrences: list[tuple[str, str]] = field(default_factory=list)


def key_of(entry: polib.POEntry) -> Key:
    return (entry.msgctxt, entry.msgid)


def is_translated(entry: polib.POEntry | None) -> bool:
    """polib's translated() is False for fuzzy and obsolete entries and for any empty plural form."""
    return entry is not None and not entry.obsolete and entry.translated()


def live_entries(path: Path) -> list[polib.POEntry]:
    return [entry for entry in polib.pofile(str(path)) if not entry.obsolete and entry.msgid]


def wagtail_sources() -> list[Source]:
    root = Path(wagtail.__file__).resolve().parent
    sources = []
    for en_po in sorted(root.glob("**/locale/en/LC_MESSAGES/*.po")):
        app_dir = en_po.parents[3]
        zh_po = app_dir / "locale" / LANGUAGE / "LC_MESSAGES" / en_po.name
        label = app_dir.relative_to(root.parent).as_posix()
        sources.append(Source(label, en_po.stem, [en_po], zh_po if zh_po.exists() else None))
    return sources


def import_export_sources() -> list[Source]:
    root = Path(import_export.__file__).resolve().parent
    catalogues = sorted(root.glob("locale/*/LC_MESSAGES/django.po"))
    zh_po = root / "locale" / LANGUAGE / "LC_MESSAGES" / "django.po"
    return [Source("import_export", "django", catalogues, zh_po if zh_po.exists() else None)]


def suggestion_catalogues(domain: str) -> list[Path]:
    """Existing zh_Hans catalogues whose translations are live at run time anyway (same gettext domain)."""
    roots = [Path(wagtail.__file__).resolve().parent, Path(import_export.__file__).resolve().parent]
    django_root = Path(django.__file__).resolve().parent
    paths = [p for root in roots for p in sorted(root.glob(f"**/locale/{LANGUAGE}/LC_MESSAGES/{domain}.po"))]
    paths += sorted(django_root.glob(f"conf/locale/{LANGUAGE}/LC_MESSAGES/{domain}.po"))
    paths += sorted(django_root.glob(f"contrib/*/locale/{LANGUAGE}/LC_MESSAGES/{domain}.po"))
    return paths


def find_missing(sources: list[Source]) -> dict[Key, Missing]:
    """Entries of `sources` with no usable zh_Hans translation in their own package, in source order."""
    missing: dict[Key, Missing] = {}
    for source in sources:
        translated = set()
        if source.zh_catalogue:
            translated = {key_of(e) for e in live_entries(source.zh_catalogue) if is_translated(e)}
        seen: set[Key] = set()
        for catalogue in source.msgid_catalogues:
            for entry in live_entries(catalogue):
                key = key_of(entry)
                if key in translated or key in seen:
                    continue
                seen.add(key)
                item = missing.setdefault(key, Missing(entry))
                item.labels.append(source.label)
                # Line numbers change with every release; the file name is enough to find the string.
                for path, _line in entry.occurrences:
                    occurrence = (f"{source.label}/{path}", "")
                    if occurrence not in item.occurrences:
                        item.occurrences.append(occurrence)
    return missing


def suggestions(domain: str) -> dict[Key, tuple[polib.POEntry, str]]:
    found: dict[Key, tuple[polib.POEntry, str]] = {}
    for path in suggestion_catalogues(domain):
        for entry in live_entries(path):
            if is_translated(entry):
                found.setdefault(key_of(entry), (entry, path.relative_to(SITE_PACKAGES).as_posix()))
    return found


def new_entry(item: Missing, suggestion: tuple[polib.POEntry, str] | None) -> polib.POEntry:
    src = item.entry
    entry = polib.POEntry(
        msgid=src.msgid,
        msgctxt=src.msgctxt,
        msgid_plural=src.msgid_plural,
        flags=[f for f in src.flags if f != "fuzzy"],
        occurrences=list(item.occurrences),
    )
    if src.msgid_plural:
        entry.msgstr_plural = {0: ""}
    else:
        entry.msgstr = ""
    if suggestion:
        other, where = suggestion
        # Only a plural entry can fill a plural entry, and the other way round.
        if bool(other.msgid_plural) == bool(src.msgid_plural):
            if src.msgid_plural:
                entry.msgstr_plural = {0: other.msgstr_plural.get(0, "")}
            else:
                entry.msgstr = other.msgstr
            entry.flags.append("fuzzy")
            entry.tcomment = f"Suggested from {where}: review, then drop the fuzzy flag."
    return entry


def project_translations(domain: str) -> dict[Key, tuple[str, str]]:
    """zh_Hans translations in the project's own app catalogues (exams/locale/, ...): key -> (msgstr, app).

    Those rank *below* LOCALE_PATHS in Django's merge, so an entry of ours with the same msgid would
    silently replace a domain app's wording (exams' "Section" is 大题, Wagtail's is a table heading).
    The site catalogue (site/academy/locale) is itself in LOCALE_PATHS ahead of us, so it is not needed here.
    """
    found: dict[Key, tuple[str, str]] = {}
    for folder, dirs, _files in os.walk(REPO_DIR):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in {"var", "node_modules"})
        po_path = Path(folder) / "locale" / LANGUAGE / "LC_MESSAGES" / f"{domain}.po"
        if "locale" in dirs and po_path.exists() and po_path.parents[2].resolve() not in SITE_LOCALE_PATHS:
            for entry in live_entries(po_path):
                if is_translated(entry):
                    found.setdefault(key_of(entry), (first_form(entry), Path(folder).name))
    return found


def first_form(entry: polib.POEntry) -> str:
    return entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr


@dataclass
class Merged:
    todo: list[polib.POEntry]  # ours, active, still empty or fuzzy
    unused: int  # ours that no upstream catalogue needs any more (kept)
    yielded: list[tuple[polib.POEntry, str, str]]  # (entry, app, its msgstr): left to a project app
    stale: int  # entries whose active/obsolete state on disk is wrong (the file needs rewriting)


def merge(domain: str, missing: dict[Key, Missing], *, write: bool) -> Merged:
    """Merge `missing` into our catalogue for `domain`, keeping every translation already there.

    A msgid a project app translates differently is yielded to it: our entry (if any) is kept as an obsolete
    `#~` entry, which is not compiled, and comes back by itself once the clash is gone (say the app moves to
    pgettext with a context).
    """
    target = HERE / LANGUAGE / "LC_MESSAGES" / f"{domain}.po"
    po = polib.pofile(str(target)) if target.exists() else polib.POFile()
    po.metadata = {**po.metadata, **HEADER}
    ours = {key_of(e): e for e in po if e.msgid}
    found = suggestions(domain)
    owned = project_translations(domain)

    merged: list[polib.POEntry] = []
    yielded = []
    stale = 0
    for key, item in missing.items():
        entry = ours.pop(key, None)
        if key in owned and (entry is None or first_form(entry) != owned[key][0]):
            if entry is not None:
                stale += not entry.obsolete
                entry.obsolete = True
                merged.append(entry)
                yielded.append((entry, owned[key][1], owned[key][0]))
            else:
                yielded.append((new_entry(item, None), owned[key][1], owned[key][0]))
            continue
        if entry is None:
            entry = new_entry(item, found.get(key))
        else:
            # Keep the translation and our flags (fuzzy stays fuzzy); refresh where the string is used.
            stale += entry.obsolete
            entry.obsolete = False
            entry.occurrences = list(item.occurrences)
            entry.msgid_plural = item.entry.msgid_plural
            for flag in item.entry.flags:
                if flag != "fuzzy" and flag not in entry.flags:
                    entry.flags.append(flag)
        merged.append(entry)
    unused = list(ours.values())
    merged += unused

    if write:
        target.parent.mkdir(parents=True, exist_ok=True)
        out = polib.POFile(wrapwidth=po.wrapwidth)
        out.header = po.header or "Wagtail and django-import-export strings their zh_Hans catalogues lack.\n"
        out.header += "" if "build_missing.py" in out.header else "Maintained with build_missing.py (see there)."
        out.metadata = po.metadata
        out.extend(e for e in merged if not e.obsolete)
        out.extend(e for e in merged if e.obsolete)  # gettext wants obsolete entries last
        out.save(str(target))
    todo = [e for e in merged if not e.obsolete and not is_translated(e)]
    return Merged(todo, len(unused), yielded, stale)


def describe(entry: polib.POEntry) -> str:
    context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    plural = f" | plural: {entry.msgid_plural!r}" if entry.msgid_plural else ""
    return f"{context}{entry.msgid!r}{plural}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if anything is left to do")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)

    sources = wagtail_sources() + import_export_sources()
    left = 0
    for domain in sorted({s.domain for s in sources}):
        missing = find_missing([s for s in sources if s.domain == domain])
        result = merge(domain, missing, write=not args.check)
        if not args.quiet:
            for item in missing.values():
                print(f"{domain}\t{','.join(item.labels)}\t{describe(item.entry)}")
        print(
            f"{domain}: {len(missing)} msgids lack a zh_Hans translation upstream; "
            f"{len(result.todo)} of ours still empty or fuzzy; {result.unused} of ours no longer needed upstream; "
            f"{len(result.yielded)} left to a project app's own translation",
            file=sys.stderr,
        )
        for entry, app, theirs in result.yielded:
            print(f"  LEFT TO {app} ({theirs}): {describe(entry)}", file=sys.stderr)
        for entry in result.todo:
            print(f"  TODO {describe(entry)}", file=sys.stderr)
        if args.check and result.stale:
            print(f"  {result.stale} entries must be (re)activated or set aside: run without --check", file=sys.stderr)
        left += len(result.todo) + (result.stale if args.check else 0)
    return 1 if args.check and left else 0


if __name__ == "__main__":
    sys.exit(main())
