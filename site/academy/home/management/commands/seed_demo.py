from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Each app that has demo content provides `demo.seed(*, stdout) -> None`, idempotent. Order matters:
# later steps use what earlier ones made (people, then the bank, then exams and courses).
DEMO_STEPS = [
    "academy.accounts.demo",
    "question_bank.demo",
    "exams.demo",
    "courses.demo",
]


class Command(BaseCommand):
    help = "Create demo people, categories and content (idempotent). Refuses when DEBUG is off."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: seed_demo would add demo accounts with a known password. Use --force.")
        for dotted in DEMO_STEPS:
            try:
                module = import_module(dotted)
            except ModuleNotFoundError as exc:
                if exc.name != dotted:
                    raise
                continue  # that app has no demo content yet
            with transaction.atomic():
                module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready: http://127.0.0.1:8000/ (admin: /admin/)"))
