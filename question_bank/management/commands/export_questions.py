from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from question_bank.exporting import EXPORT_FORMATS, export_questions
from question_bank.importing import resolve_category
from question_bank.models import ExamKind, KnowledgePoint, QuestionType
from question_bank.readers import ImportFileError
from question_bank.selectors import filter_questions


class Command(BaseCommand):
    help = "Export a filtered selection of questions (template xlsx/csv, or Moodle XML). Logged like admin exports."

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=EXPORT_FORMATS)
        parser.add_argument("--output", required=True)
        parser.add_argument(
            "--user",
            help="Who exports (checked against the bank permissions); without it the export is logged as a server-side command.",
        )
        parser.add_argument("--category")
        parser.add_argument("--knowledge-point", help="Path within --category, e.g. 损伤程度/骨折")
        parser.add_argument("--type", choices=[t.value for t in QuestionType])
        parser.add_argument("--status", choices=["live", "changed", "in_review", "draft", "retired"])
        parser.add_argument("--usable-for", choices=[k.value for k in ExamKind])
        parser.add_argument("--tag")
        parser.add_argument("--with-keys", action="store_true", help="Include answers (needs export_answer_keys).")

    def handle(self, **opts):
        user = None
        if opts["user"]:
            user = get_user_model().objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(_("No user named %(name)s.") % {"name": opts["user"]})
        try:
            category = resolve_category(opts["category"])
        except ImportFileError as exc:
            raise CommandError(str(exc.args[0])) from exc
        kp = None
        if opts["knowledge_point"]:
            if category is None:
                raise CommandError(_("--knowledge-point needs --category."))
            kp = KnowledgePoint.objects.filter(category=category, path=opts["knowledge_point"]).first()
            if kp is None:
                raise CommandError(_("No knowledge point %(path)s.") % {"path": opts["knowledge_point"]})
        queryset = filter_questions(
            category=category,
            knowledge_point=kp,
            qtype=opts["type"] or "",
            status=opts["status"] or "",
            usable_for=opts["usable_for"] or "",
            tag=opts["tag"] or "",
        )
        filters = {
            k: opts[k] for k in ("category", "knowledge_point", "type", "status", "usable_for", "tag") if opts[k]
        }
        try:
            content = export_questions(
                queryset=queryset,
                fmt=opts["format"],
                user=user,
                with_keys=opts["with_keys"],
                filters=filters,
                command_line=user is None,
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        with open(opts["output"], "wb") as out:
            out.write(content)
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(count)s questions to %(path)s.") % {"count": queryset.count(), "path": opts["output"]}
            )
        )
