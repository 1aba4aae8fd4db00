import argparse
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from question_bank.importing import detect_format, import_questions, resolve_category
from question_bank.readers import ImportFileError


class Command(BaseCommand):
    help = "Import questions from our .xlsx/.csv template, Moodle XML or GIFT. Exits 1 if any row is invalid."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="Check everything and write nothing.")
        parser.add_argument(
            "--category", help="Practice category (our code or Chinese name) for rows/formats without one."
        )
        parser.add_argument("--user", help="Username recorded as author of the new drafts.")
        parser.add_argument(
            "--submit-for-review",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="Start the review workflow for every new or updated question (default); "
            "--no-submit-for-review leaves them as drafts.",
        )

    def handle(self, path, dry_run=False, category=None, user=None, submit_for_review=True, **options):
        if detect_format(path) is None:
            raise CommandError(_("Unsupported file type: use .xlsx, .csv, .xml (Moodle XML), .gift or .txt (GIFT)."))
        try:
            cat = resolve_category(category)
        except ImportFileError as exc:
            raise CommandError(str(exc.args[0])) from exc
        author = None
        if user:
            author = get_user_model().objects.filter(username=user).first()
            if author is None:
                raise CommandError(_("No user named %(name)s.") % {"name": user})
        with open(path, "rb") as fileobj:
            report = import_questions(
                fileobj=fileobj,
                filename=path,
                user=author,
                dry_run=dry_run,
                category=cat,
                submit_for_review=submit_for_review,
            )
        for issue in report.warnings:
            self.stdout.write(f"{issue.ref}\t{issue.column}\t{issue.message}")
        for issue in report.errors:
            self.stderr.write(f"{issue.ref}\t{issue.column}\t{issue.message}")
        summary = _(
            "%(total)s questions: %(created)s new, %(updated)s updated, %(unchanged)s unchanged, %(duplicates)s duplicates."
        ) % {
            "total": report.total,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "duplicates": report.duplicates,
        }
        if report.errors:
            self.stderr.write(_("%(count)s problems: nothing was imported.") % {"count": len(report.errors)})
            sys.exit(1)
        if dry_run:
            self.stdout.write(_("Dry run, nothing written.") + " " + summary)
        else:
            self.stdout.write(self.style.SUCCESS(summary))
