"""Time the PDF service: the test certificate and a 20-page table, first render and steady state.

    .venv/bin/python bench/pdf_render.py [--repeat 20] [--table-repeat 20] [--rows 780]
                                         [--single-pass-repeat 3]

The first render in a process includes registering the fonts (two 10 MB TrueType files) and
compiling the templates; the mean is over the renders after it. Prints one JSON line (times in
milliseconds; mean_cpu_ms is this process's CPU time, steadier than wall time on a busy
machine). Needs no database. The table renders take seconds each: --table-repeat 3 for a quick
look.
"""

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "site")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings.test")

import django  # noqa: E402

django.setup()

import xhtml2pdf  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from django.utils import translation  # noqa: E402

from academy.documents.pdf import render_pdf  # noqa: E402
from academy.documents.samples import (  # noqa: E402
    TABLE_TEMPLATE,
    TEST_CERTIFICATE_TEMPLATE,
    sample_certificate_context,
    sample_table_context,
)


def _time(template: str, context: dict, repeat: int) -> dict:
    started = time.perf_counter()
    data = render_pdf(template, context)
    first = time.perf_counter() - started
    times, cpu_times = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        render_pdf(template, context)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    pages = len(PdfReader(io.BytesIO(data)).pages)
    mean = statistics.fmean(times) if times else first
    return {
        "first_ms": round(first * 1000, 1),
        "mean_ms": round(mean * 1000, 1),
        "min_ms": round(min(times) * 1000, 1) if times else None,
        # CPU time of this process: what a render costs when other work shares the cores.
        "mean_cpu_ms": round(statistics.fmean(cpu_times) * 1000, 1) if cpu_times else None,
        "repeat": repeat,
        "pages": pages,
        "mean_ms_per_page": round(mean * 1000 / pages, 1),
        "bytes": len(data),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="certificate renders after the first")
    parser.add_argument("--table-repeat", type=int, default=20, help="table renders after the first")
    parser.add_argument("--rows", type=int, default=780, help="table rows (780 make 20 A4 pages)")
    parser.add_argument(
        "--single-pass-repeat", type=int, default=3, help='table renders with "Page N" only, after the first'
    )
    args = parser.parse_args()

    with translation.override("zh-hans"):
        certificate = _time(TEST_CERTIFICATE_TEMPLATE, sample_certificate_context(), args.repeat)
        table = _time(TABLE_TEMPLATE, sample_table_context(rows=args.rows), args.table_repeat)
        # "Page N of M" makes xhtml2pdf lay the document out twice; "Page N" once.
        single_pass = _time(
            TABLE_TEMPLATE, {**sample_table_context(rows=args.rows), "page_count": False}, args.single_pass_repeat
        )
    table["rows"] = args.rows
    print(
        json.dumps(
            {
                "bench": "pdf_render",
                "certificate": certificate,
                "table": table,
                "table_without_page_count": single_pass,
                "xhtml2pdf": xhtml2pdf.__version__,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
