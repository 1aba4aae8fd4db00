"""The import engine: validate a whole file, then write it in one transaction with bulk inserts.

A dry run is the same code stopping before the write. Any blocking problem means nothing is
written. New questions arrive with one revision each, never live, and by default awaiting review.
"""

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import cache

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modelcluster.models import get_field_value
from taggit.models import Tag
from wagtail.models import Revision

from academy.categories.models import PracticeCategory

from .interchange import COLUMNS_BY_KEY, QuestionData, from_question, parse_row
from .models import KnowledgePoint, Question, QuestionOption, QuestionTag, ScoringPoint, normalise_text
from .readers import (
    ImportFileError,
    Notice,
    Problem,
    Unsupported,
    read_gift,
    read_moodle_xml,
    read_table,
)
from .services import questions_submit_for_review_bulk

CHUNK = 500
PREVIEW_ROWS = 50

FORMATS = {".xlsx": "xlsx", ".csv": "csv", ".xml": "moodlexml", ".gift": "gift", ".txt": "gift"}


@dataclass
class Issue:
    ref: str  # where: "第 5 行" / "row 5", "line 12", "#3"
    column: str  # the header as the user wrote it ("" when the whole question is concerned)
    message: str


@dataclass
class ImportReport:
    filename: str
    format: str
    dry_run: bool
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    submitted: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def detect_format(filename: str) -> str | None:
    return FORMATS.get(os.path.splitext(filename.lower())[1])


def _category_map() -> dict[str, PracticeCategory]:
    """Folded code / Chinese name / English name / official code -> review field (one query)."""
    mapping = {}
    for cat in PracticeCategory.objects.fields():
        for key in (cat.code, cat.name, cat.name_en, cat.official_code):
            if key:
                mapping.setdefault(key.strip().lower(), cat)
    return mapping


def resolve_category(value: str | None) -> PracticeCategory | None:
    """The review field named by our code or Chinese/English name; raises ImportFileError if unknown."""
    if not value:
        return None
    category = _category_map().get(value.strip().lower())
    if category is None:
        raise ImportFileError(gettext_lazy("Unknown practice category “%(value)s”.") % {"value": value})
    return category


def _row_ref(number) -> str:
    return _("row %(row)s") % {"row": number}


def parse_file(
    *, fileobj, filename: str, category: PracticeCategory | None = None, report: ImportReport | None = None
) -> tuple[list[QuestionData], ImportReport]:
    """Read and check every item of a file; no database writes. Problems go into the report."""
    fmt = detect_format(filename)
    report = report or ImportReport(filename=filename, format=fmt or "", dry_run=True)
    if fmt is None:
        report.errors.append(
            Issue("", "", _("Unsupported file type: use .xlsx, .csv, .xml (Moodle XML), .gift or .txt (GIFT)."))
        )
        return [], report
    items: list[QuestionData] = []
    try:
        if fmt in {"xlsx", "csv"}:
            categories = _category_map()
            written, rows = read_table(filename, fileobj)
            for row in rows:
                report.total += 1
                data, errors = parse_row(row.cells, categories=categories, default_category=category)
                ref = _row_ref(row.number)
                for error in errors:
                    header = written.get(error.column) or COLUMNS_BY_KEY[error.column].zh
                    report.errors.append(Issue(ref, header, str(error.message)))
                if data is not None:
                    data.ref = ref
                    items.append(data)
        else:
            reader = read_moodle_xml if fmt == "moodlexml" else read_gift
            for item in reader(fileobj.read()):
                if isinstance(item, Unsupported):
                    report.warnings.append(
                        Issue(
                            str(item.ref),
                            "",
                            _("Question “%(name)s” is of a type we do not import (%(kind)s): skipped.")
                            % {"name": item.name, "kind": item.kind},
                        )
                    )
                elif isinstance(item, Notice):
                    report.warnings.append(Issue(str(item.ref), "", str(item.message)))
                elif isinstance(item, Problem):
                    report.errors.append(Issue(str(item.ref), "", str(item.message)))
                else:
                    report.total += 1
                    item.ref = str(item.ref)
                    if category is None:
                        report.errors.append(
                            Issue(
                                item.ref,
                                "",
                                _("This format carries no practice category: choose one (--category)."),
                            )
                        )
                        continue
                    item.category_id = category.pk
                    if not normalise_text(item.stem):
                        report.errors.append(Issue(item.ref, _("stem"), _("The stem is empty.")))
                        continue
                    items.append(item)
    except ImportFileError as exc:
        report.errors.append(Issue("", "", str(exc.args[0])))
        return [], report
    if report.total == 0 and not report.errors:
        report.errors.append(Issue("", "", _("The file holds no questions.")))
    return items, report


def _knowledge_points(category_ids) -> dict[tuple[int, str], int]:
    return {
        (c, p): pk
        for pk, c, p in KnowledgePoint.objects.filter(category_id__in=category_ids).values_list(
            "pk", "category_id", "path"
        )
    }


def _ensure_knowledge_point(known: dict, category_id: int, path: str) -> int | None:
    """Create the missing nodes of `a/b/c` (few per import, so one save each keeps the tree rules)."""
    if not path:
        return None
    parent_id = None
    built = []
    for name in path.split("/"):
        built.append(name)
        key = (category_id, "/".join(built))
        if key not in known:
            node = KnowledgePoint(category_id=category_id, parent_id=parent_id, name=name)
            node.full_clean()
            node.save()
            known[key] = node.pk
        parent_id = known[key]
    return parent_id


def _next_numbers(category_ids) -> dict[int, int]:
    """The next free serial of the `CODE-000123` codes, per category (one query per category)."""
    numbers = {}
    for cat in PracticeCategory.objects.filter(pk__in=category_ids):
        prefix = f"{cat.code}-"
        top = 0
        for code in Question.objects.filter(code__startswith=prefix).values_list("code", flat=True).iterator():
            tail = code[len(prefix) :]
            if tail.isdigit():
                top = max(top, int(tail))
        numbers[cat.pk] = top + 1
    return numbers


def _weights_json(weights) -> list:
    return [[int(w) if Decimal(w) == int(w) else float(w) for w in ws] for ws in weights]


def _question_row(data: QuestionData, *, knowledge_point_id, user) -> Question:
    """An unsaved draft Question without children."""
    return Question(
        code=data.code,
        category_id=data.category_id,
        knowledge_point_id=knowledge_point_id,
        qtype=data.qtype,
        difficulty=data.difficulty,
        stem=data.stem,
        stem_normalised=normalise_text(data.stem),
        true_false_answer=data.true_false_answer,
        blank_answers=[list(alts) for alts in data.blank_answers],
        blank_answer_weights=_weights_json(data.blank_answer_weights),
        reference_answer=data.reference_answer,
        explanation=data.explanation,
        basis=data.basis,
        default_points=data.points,
        usable_for_pre_employment="pre_employment" in data.usable_for,
        usable_for_job_transfer="job_transfer" in data.usable_for,
        usable_for_continuing="continuing" in data.usable_for,
        author=user,
        live=False,
        has_unpublished_changes=True,
    )


def _children(data: QuestionData, *, tags_by_name) -> dict[str, list]:
    """The unsaved child rows of a question by relation name (the question is set by the caller)."""
    return {
        "options": [
            QuestionOption(label=label, text=text, is_correct=correct, weight=weight, sort_order=i)
            for i, (label, text, correct, weight) in enumerate(data.options)
        ],
        "scoring_points": [
            ScoringPoint(text=text, points=points, sort_order=i) for i, (text, points) in enumerate(data.scoring_points)
        ],
        "tagged_items": [QuestionTag(tag_id=tags_by_name[name].pk) for name in data.tags],
    }


def build_question(data: QuestionData, *, knowledge_point_id, user, tags_by_name) -> Question:
    """An unsaved Question with its children in memory (modelcluster), as a draft."""
    question = _question_row(data, knowledge_point_id=knowledge_point_id, user=user)
    for relation, rows in _children(data, tags_by_name=tags_by_name).items():
        setattr(question, relation, rows)
    return question


@cache
def _serialized_fields(model) -> list:
    return [f for f in model._meta.fields if f.serialize or f.primary_key]


def revision_content(question: Question, children: dict[str, list]) -> dict:
    """What `question.serializable_data()` gives for a saved question whose saved children are given.

    modelcluster rediscovers the child relations and goes through its descriptors for every
    object; an import of 10,000 rows spent a fifth of its time there. Same values, same helper.
    """
    content = {field.name: get_field_value(field, question) for field in _serialized_fields(Question)}
    content["pk"] = content.pop(Question._meta.pk.name)
    for relation, rows in children.items():
        serialised = []
        for child in rows:
            row = {field.name: get_field_value(field, child) for field in _serialized_fields(type(child))}
            row["pk"] = row.pop(type(child)._meta.pk.name)
            serialised.append(row)
        content[relation] = serialised
    return content


def _apply(question: Question, data: QuestionData, *, knowledge_point_id, tags_by_name) -> None:
    fresh = build_question(data, knowledge_point_id=knowledge_point_id, user=None, tags_by_name=tags_by_name)
    for name in (
        "category_id",
        "knowledge_point_id",
        "qtype",
        "difficulty",
        "stem",
        "stem_normalised",
        "true_false_answer",
        "blank_answers",
        "blank_answer_weights",
        "reference_answer",
        "explanation",
        "basis",
        "default_points",
        "usable_for_pre_employment",
        "usable_for_job_transfer",
        "usable_for_continuing",
    ):
        setattr(question, name, getattr(fresh, name))
    question.options = list(fresh.options.all())
    question.scoring_points = list(fresh.scoring_points.all())
    question.tagged_items = [QuestionTag(tag=tags_by_name[name]) for name in data.tags]


def _working_copy(question: Question) -> Question:
    """What an editor sees: the latest revision when a draft sits on top of a live question."""
    if question.live and question.has_unpublished_changes and question.latest_revision_id:
        return question.latest_revision.as_object()
    return question


def copy_insert(model, objs: list) -> None:
    """Insert rows whose primary keys nobody needs back; PostgreSQL COPY, bulk_create elsewhere.

    Revisions and log entries are wide JSON rows. Django 5.2 inserts a batch on PostgreSQL as
    UNNEST over arrays that psycopg quotes in Python (a regex substitution for every quote and
    backslash of the JSON, and Chinese text is all \\u escapes): about 40% of an import's time.
    COPY sends the same rows through psycopg's C encoder.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])


def bulk_insert(items: list[QuestionData], *, user, kp_ids: list, tags_by_name: dict) -> list[Question]:
    """Insert new draft questions with children and one revision each (a handful of queries per chunk)."""
    questions = [_question_row(d, knowledge_point_id=kp, user=user) for d, kp in zip(items, kp_ids, strict=True)]
    Question.objects.bulk_create(questions)
    children = [_children(d, tags_by_name=tags_by_name) for d in items]
    for question, rows in zip(questions, children, strict=True):
        for child in rows["options"]:
            child.question_id = question.pk
        for child in rows["scoring_points"]:
            child.question_id = question.pk
        for child in rows["tagged_items"]:
            child.content_object_id = question.pk
    QuestionOption.objects.bulk_create([c for rows in children for c in rows["options"]])
    ScoringPoint.objects.bulk_create([c for rows in children for c in rows["scoring_points"]])
    QuestionTag.objects.bulk_create([c for rows in children for c in rows["tagged_items"]])
    content_type = ContentType.objects.get_for_model(Question)
    now = timezone.now()
    revisions = [
        Revision(
            content_type_id=content_type.pk,
            base_content_type_id=content_type.pk,
            object_id=str(q.pk),
            user=user,
            created_at=now,
            content=revision_content(q, rows),
            object_str=str(q),
        )
        for q, rows in zip(questions, children, strict=True)
    ]
    copy_insert(Revision, revisions)
    latest = (
        Revision.objects.filter(base_content_type_id=content_type.pk, object_id=Cast(OuterRef("pk"), CharField()))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    Question.objects.filter(pk__in=[q.pk for q in questions]).update(latest_revision_id=Subquery(latest))
    return questions


def import_questions(
    *,
    fileobj,
    filename: str,
    user=None,
    dry_run: bool = True,
    category: PracticeCategory | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    submit_for_review: bool = True,
) -> ImportReport:
    """Import a question file: everything valid or nothing written.

    New and updated questions arrive awaiting review (the 题目审核 workflow is started for them in
    bulk, requested by `user`) unless `submit_for_review=False`, which leaves them as drafts.

    A row with the code of an existing question updates it as a new draft revision (unless
    nothing changed). A new row whose normalised stem already exists in the category with the
    same type is a duplicate: reported and skipped. `progress(done, total, message)` is called
    while writing.
    """
    report = ImportReport(filename=filename, format=detect_format(filename) or "", dry_run=dry_run)
    items, report = parse_file(fileobj=fileobj, filename=filename, category=category, report=report)
    if report.errors:
        return report

    # Codes: unique within the file; existing ones are updates.
    seen_codes: dict[str, str] = {}
    for data in items:
        if data.code:
            if data.code in seen_codes:
                report.errors.append(
                    Issue(
                        data.ref,
                        COLUMNS_BY_KEY["code"].zh,
                        _("Code %(code)s appears twice in the file (first at %(first)s).")
                        % {"code": data.code, "first": seen_codes[data.code]},
                    )
                )
            else:
                seen_codes[data.code] = data.ref
    existing: dict[str, Question] = {}
    codes = list(seen_codes)
    for start in range(0, len(codes), 1000):
        for q in (
            Question.objects.filter(code__in=codes[start : start + 1000])
            .select_related("knowledge_point", "latest_revision")
            .prefetch_related("options", "scoring_points", "tagged_items__tag")
        ):
            existing[q.code] = q
    category_ids = {d.category_id for d in items}
    stems: dict[tuple, str] = {}
    for code, cat_id, qtype, stem in (
        Question.objects.filter(category_id__in=category_ids)
        .values_list("code", "category_id", "qtype", "stem_normalised")
        .iterator()
    ):
        stems.setdefault((cat_id, qtype, stem), code)
    if report.errors:
        return report

    kp_paths = {}
    for kp in KnowledgePoint.objects.filter(
        pk__in={q.knowledge_point_id for q in existing.values() if q.knowledge_point_id}
    ):
        kp_paths[kp.pk] = kp.path

    new_items: list[QuestionData] = []
    updates: list[tuple[Question, QuestionData]] = []
    for data in items:
        status = "new"
        if data.code in existing:
            question = existing[data.code]
            current = _working_copy(question)
            before = from_question(
                current,
                knowledge_point_path=kp_paths.get(current.knowledge_point_id, "") if current.knowledge_point_id else "",
                tag_names=[t.tag.name for t in current.tagged_items.all()],
            )
            if before == data:
                report.unchanged += 1
                status = "unchanged"
            else:
                updates.append((question, data))
                status = "update"
        else:
            key = (data.category_id, data.qtype, normalise_text(data.stem))
            if key in stems:
                report.duplicates += 1
                status = "duplicate"
                report.warnings.append(
                    Issue(
                        data.ref,
                        COLUMNS_BY_KEY["stem"].zh,
                        _("Duplicate: the same stem already exists in this category as %(code)s; skipped.")
                        % {"code": stems[key] or _("an earlier row")},
                    )
                )
            else:
                stems[key] = data.code or data.ref
                new_items.append(data)
        if len(report.preview) < PREVIEW_ROWS:
            report.preview.append(
                {
                    "ref": data.ref,
                    "code": data.code,
                    "qtype": data.qtype,
                    "stem": normalise_text(data.stem)[:60],
                    "status": status,
                }
            )
    report.created = len(new_items)
    report.updated = len(updates)
    if dry_run:
        return report

    total = len(new_items) + len(updates)
    with transaction.atomic():
        known_kps = _knowledge_points(category_ids)
        names = {name for d in new_items for name in d.tags} | {name for _q, d in updates for name in d.tags}
        tags_by_name = {t.name: t for t in Tag.objects.filter(name__in=names)}
        for name in sorted(names - tags_by_name.keys()):
            tags_by_name[name] = Tag.objects.create(name=name)
        numbers = _next_numbers({d.category_id for d in new_items if not d.code})
        category_codes = dict(PracticeCategory.objects.filter(pk__in=numbers).values_list("pk", "code"))
        for data in new_items:
            if not data.code:
                data.code = f"{category_codes[data.category_id]}-{numbers[data.category_id]:06d}"
                numbers[data.category_id] += 1
        done = 0
        written_ids = []
        for start in range(0, len(new_items), CHUNK):
            chunk = new_items[start : start + CHUNK]
            kp_ids = [_ensure_knowledge_point(known_kps, d.category_id, d.knowledge_point) for d in chunk]
            written_ids += [q.pk for q in bulk_insert(chunk, user=user, kp_ids=kp_ids, tags_by_name=tags_by_name)]
            done += len(chunk)
            if progress:
                progress(done, total, _("Imported %(done)s of %(total)s questions") % {"done": done, "total": total})
        for question, data in updates:
            kp_id = _ensure_knowledge_point(known_kps, data.category_id, data.knowledge_point)
            working = _working_copy(question)
            _apply(working, data, knowledge_point_id=kp_id, tags_by_name=tags_by_name)
            if not question.live:
                working.save()
            working.save_revision(user=user, log_action=True)
            written_ids.append(question.pk)
            done += 1
            if progress and done % 100 == 0:
                progress(done, total, _("Imported %(done)s of %(total)s questions") % {"done": done, "total": total})
        if submit_for_review and written_ids:
            report.submitted = questions_submit_for_review_bulk(question_ids=written_ids, user=user)
    report.committed = True
    if progress:
        progress(total, total, _("Done"))
    return report
