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


def search_questions(queryset: QuerySet[Question], query: str) -> QuerySet[Question]:
    """Substring search on the normalised stem and the code.

    The database search backend does not segment Chinese, so a word such as 骨折 inside a sentence
    is never a token; a substring match on the normalised text (full-width folded, tags and spaces
    removed) finds it on SQLite and PostgreSQL alike.
    """
    from django.db.models import Q

    from .models import normalise_text

    needle = normalise_text(query)
    if not needle:
        return queryset
    return queryset.filter(Q(stem_normalised__contains=needle) | Q(code__icontains=query.strip()))


def filter_questions(
    queryset: QuerySet[Question] | None = None,
    *,
    category=None,
    knowledge_point=None,
    qtype: str = "",
    status: str = "",
    usable_for: str = "",
    tag: str = "",
    difficulty=None,
) -> QuerySet[Question]:
    """The listing/export filter. A knowledge point includes its subtree."""
    qs = Question.objects.all() if queryset is None else queryset
    if category:
        qs = qs.filter(category=category)
    if knowledge_point:
        qs = qs.filter(knowledge_point__category_id=knowledge_point.category_id).filter(
            models_q_subtree(knowledge_point.path)
        )
    if qtype:
        qs = qs.filter(qtype=qtype)
    if difficulty:
        qs = qs.filter(difficulty=difficulty)
    if usable_for:
        qs = qs.filter(**{_USABLE_FIELD[ExamKind(usable_for)]: True})
    if tag:
        qs = qs.filter(tags__name=tag)
    if status == "live":
        qs = qs.filter(live=True, retired_at__isnull=True)
    elif status == "draft":
        qs = qs.filter(live=False, retired_at__isnull=True)
    elif status == "changed":
        qs = qs.filter(live=True, has_unpublished_changes=True, retired_at__isnull=True)
    elif status == "in_review":
        qs = qs.filter(pk__in=_in_review_ids())
    elif status == "retired":
        qs = qs.filter(retired_at__isnull=False)
    return qs.distinct() if tag else qs


def models_q_subtree(path: str):
    from django.db.models import Q

    return Q(knowledge_point__path=path) | Q(knowledge_point__path__startswith=f"{path}/")


def _in_review_ids():
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import IntegerField
    from django.db.models.functions import Cast

    from wagtail.models import WorkflowState

    return (
        WorkflowState.objects.filter(
            base_content_type=ContentType.objects.get_for_model(Question),
            status__in=[WorkflowState.STATUS_IN_PROGRESS, WorkflowState.STATUS_NEEDS_CHANGES],
        )
        .annotate(qid=Cast("object_id", IntegerField()))
        .values("qid")
    )


def bank_statistics() -> dict:
    """Counts by category, type and status, and usage statistics: no stems, no keys (for regulators)."""
    from django.db.models import Avg, Count, Q, Sum

    qs = Question.objects.all()
    by_category = list(
        qs.values("category__code", "category__name")
        .annotate(
            total=Count("id"),
            n_live=Count("id", filter=Q(live=True, retired_at__isnull=True)),
            n_draft=Count("id", filter=Q(live=False, retired_at__isnull=True)),
            n_retired=Count("id", filter=Q(retired_at__isnull=False)),
            n_used=Sum("times_used"),
            mean_facility=Avg("facility"),
            mean_discrimination=Avg("discrimination"),
        )
        .order_by("category__code")
    )
    by_type = list(qs.values("qtype").annotate(total=Count("id")).order_by("qtype"))
    return {
        "total": qs.count(),
        "live": qs.filter(live=True, retired_at__isnull=True).count(),
        "in_review": qs.filter(pk__in=_in_review_ids()).count(),
        "retired": qs.filter(retired_at__isnull=False).count(),
        "by_category": by_category,
        "by_type": by_type,
    }
