"""Benchmark the question import: `python bench/import_bank.py --rows N [--repeat K] [--keep]`.

Builds an N-row template file, imports it through the real path (validation, duplicate checks,
bulk insert of questions, options, tags and revisions, start of the review workflow for every
question — the import's default — one transaction), then times a plain
bulk_create of the same parsed rows (questions and options only). Both runs are rolled back/
removed afterwards. Prints one JSON line last.
"""

import argparse
import io
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "site")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings.dev")
# Measure what production runs: with DEBUG on, Django keeps the SQL text of every query (here
# megabytes of bulk-insert SQL) and wraps each cursor call. DEBUG=true on the command line still wins.
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from question_bank.importing import import_questions, parse_file  # noqa: E402
from question_bank.models import Question, QuestionOption, normalise_text  # noqa: E402

HEADER = "题目编号,执业类别,知识点,题型,难度,题干,选项A,选项B,选项C,选项D,答案,解析,分值,适用考试,标签,依据"
CATS = ["FYLC", "FYBL", "WZWS", "SXDZ"]


class Rollback(Exception):
    pass


def build_csv(rows: int, run: str) -> bytes:
    lines = [HEADER]
    for i in range(rows):
        cat = CATS[i % 4]
        kind = i % 3
        stem = f"基准{run}第{i}题：关于损伤程度鉴定的第{i}个问题，下列说法正确的是？"
        if kind == 0:
            lines.append(
                f",{cat},基准/知识点{i % 20},单选,{1 + i % 5},{stem},选项甲{i},选项乙{i},选项丙{i},选项丁{i},B,解析{i},1,岗前,基准,SF/T 0111"
            )
        elif kind == 1:
            lines.append(
                f",{cat},基准/知识点{i % 20},多选,{1 + i % 5},{stem},选项甲{i},选项乙{i},选项丙{i},选项丁{i},ACD,,2,,基准,"
            )
        else:
            lines.append(f",{cat},基准/知识点{i % 20},判断,{1 + i % 5},{stem},,,,,对,,1,,,")
    return ("\n".join(lines) + "\n").encode("utf-8")


def time_import(rows: int, run: str, keep: bool) -> float:
    content = build_csv(rows, run)
    start = time.perf_counter()
    try:
        with transaction.atomic():
            report = import_questions(fileobj=io.BytesIO(content), filename="bench.csv", dry_run=False)
            assert report.ok and report.created == rows and report.submitted == rows, report.errors[:3]
            if not keep:
                raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - start


def time_bulk_create(rows: int, run: str) -> float:
    items, _report = parse_file(fileobj=io.BytesIO(build_csv(rows, run + "b")), filename="bench.csv")
    start = time.perf_counter()
    try:
        with transaction.atomic():
            for offset in range(0, len(items), 500):
                chunk = items[offset : offset + 500]
                questions = [
                    Question(
                        code=f"B{run[-6:]}{offset + i:07d}",
                        category_id=d.category_id,
                        qtype=d.qtype,
                        difficulty=d.difficulty,
                        stem=d.stem,
                        stem_normalised=normalise_text(d.stem),
                        true_false_answer=d.true_false_answer,
                        explanation=d.explanation,
                        basis=d.basis,
                        default_points=d.points,
                        live=False,
                    )
                    for i, d in enumerate(chunk)
                ]
                Question.objects.bulk_create(questions)
                QuestionOption.objects.bulk_create(
                    QuestionOption(question=q, label=label, text=text, is_correct=ok, sort_order=n)
                    for q, d in zip(questions, chunk, strict=True)
                    for n, (label, text, ok, _w) in enumerate(d.options)
                )
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="Keep the imported questions.")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="Run each measurement N times (rolled back) and report the fastest: on a shared machine "
        "the minimum is the least disturbed run.",
    )
    args = parser.parse_args()
    run = str(int(time.time()))
    import_runs, bulk_runs = [], []
    for i in range(args.repeat):
        import_runs.append(time_import(args.rows, f"{run}r{i}", args.keep and i == args.repeat - 1))
        bulk_runs.append(time_bulk_create(args.rows, f"{run}r{i}"))
    import_seconds, bulk_seconds = min(import_runs), min(bulk_runs)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "rows": args.rows,
        "database": django.db.connection.vendor,
        "import_seconds": round(import_seconds, 2),
        "bulk_create_seconds": round(bulk_seconds, 2),
        "import_rows_per_s": round(args.rows / import_seconds, 1),
        "bulk_create_rows_per_s": round(args.rows / bulk_seconds, 1),
        "ratio": round(bulk_seconds / import_seconds, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "repeat": args.repeat,
        "import_runs": [round(t, 2) for t in import_runs],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
