"""Compile our .po catalogues to .mo with polib, so no gettext tools are needed anywhere.

The compiled .mo files are committed: a fresh clone has working translations without running this.
"""

from pathlib import Path

import polib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand

OWN_APPS = ("question_bank", "exams", "courses")  # domain apps keep their own catalogue


def catalogues():
    roots = [Path(p) for p in settings.LOCALE_PATHS]
    roots += [Path(apps.get_app_config(label).path) / "locale" for label in OWN_APPS]
    for root in roots:
        yield from sorted(root.glob("*/LC_MESSAGES/*.po"))


class Command(BaseCommand):
    help = "Compile the project's .po files (LOCALE_PATHS and the domain apps' locale/) to .mo."

    def handle(self, *args, **options):
        for po_path in catalogues():
            polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
            self.stdout.write(f"compiled {po_path}")
