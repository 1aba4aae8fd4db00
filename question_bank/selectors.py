"""Read queries other apps use. The exams app draws questions only through these."""

from django.db.models import QuerySet

from .models import ExamKind, Question

_USABLE_FIELD = {
    ExamKind.PRE_EMPLOYMENT: "usable_for_pre_employment",
    ExamKind.JOB_TRANSFER: "usable_for_job_transfer",
    ExamKind.CONTINUING: "usable_for_continuing",
}


def drawable_questions(
    *,
    category_ids=None,
    knowledge_point_ids=None,
    qtype: str | None = None,
    difficulty_min: int = 1,
    difficulty_max: int = 5,
    exam_kind: str | None = None,
) -> QuerySet[Question]:
    """Questions that may go on a new paper: approved (a live revision exists) and not retired.

    Callers must use `question.live_revision` (never the working copy): the live revision is what
    the reviewer approved; later drafts stay out of papers until approved in their turn.
    """
    qs = Question.objects.filter(
        live=True,
        live_revision__isnull=False,
        retired_at__isnull=True,
        difficulty__gte=difficulty_min,
        difficulty__lte=difficulty_max,
    )
    if category_ids:
        qs = qs.filter(category_id__in=category_ids)
    if knowledge_point_ids:
        qs = qs.filter(knowledge_point_id__in=knowledge_point_ids)
    if qtype:
        qs = qs.filter(qtype=qtype)
    if exam_kind:
        qs = qs.filter(**{_USABLE_FIELD[ExamKind(exam_kind)]: True})
    return qs


def question_snapshot(question: Question) -> dict:
    """The approved content of a question as a plain dict (from its live revision).

    Keys: code, qtype, difficulty, stem, options [{label, text}], key, reference_answer,
    scoring_points [{text, points}], explanation, points. `key` and the reference answer are for
    grading and marking only: never send them to a candidate.
    """
    approved = question.live_revision.as_object()
    return {
        "question_id": question.pk,
        "revision_id": question.live_revision_id,
        "code": approved.code,
        "qtype": approved.qtype,
        "difficulty": approved.difficulty,
        "stem": approved.stem,
        "options": [{"label": o.label, "text": o.text} for o in approved.options.all()],
        "key": approved.answer_key(),
        "reference_answer": approved.reference_answer,
        "scoring_points": [{"text": p.text, "points": str(p.points)} for p in approved.scoring_points.all()],
        "explanation": approved.explanation,
        "points": str(approved.default_points),
    }
