"""Background jobs of the question bank: the import of a (possibly large) file, dry run or for real."""

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from academy.background.registry import job_handler

from .importing import import_questions, resolve_category

MAX_ERRORS_IN_RESULT = 500


@job_handler("question_bank.import_questions")
def import_questions_job(ctx) -> dict:
    """params: path (in default storage), filename, category (code or ""), dry_run (bool),
    submit_for_review (bool, default true: the questions arrive awaiting review)."""
    user = ctx.user
    if user is None or not user.has_perm("question_bank.add_question"):
        raise PermissionDenied(_("Only question-bank editors may import questions."))
    params = ctx.params
    category = resolve_category(params.get("category") or None)
    with default_storage.open(params["path"], "rb") as fileobj:
        report = import_questions(
            fileobj=fileobj,
            filename=params["filename"],
            user=user,
            dry_run=bool(params.get("dry_run", True)),
            category=category,
            progress=ctx.set_progress,
            submit_for_review=bool(params.get("submit_for_review", True)),
        )
    for issue in report.errors[:MAX_ERRORS_IN_RESULT]:
        ctx.add_error({"row": issue.ref, "field": issue.column, "message": issue.message})
    result = report.to_dict()
    result["errors"] = result["errors"][:MAX_ERRORS_IN_RESULT]
    result["warnings"] = result["warnings"][:MAX_ERRORS_IN_RESULT]
    return result
