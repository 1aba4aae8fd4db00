"""RQ handlers of the background app itself: the self-test the admin (and the tests) use."""

from django.utils.translation import gettext

from .registry import JobContext, job_handler


@job_handler("background.selftest", timeout=300)
def selftest(ctx: JobContext) -> dict:
    """Count to ``params["n"]`` reporting progress, then save a small text file: proves a worker runs jobs,
    writes progress the admin can poll and stores a downloadable result."""
    n = int(ctx.params.get("n", 20))
    if not 0 < n <= 100_000:
        raise ValueError(gettext("The self-test counts to a number between 1 and 100000."))
    for i in range(1, n + 1):
        ctx.set_progress(i, n, gettext("Counting: %(i)d of %(n)d") % {"i": i, "n": n})
    ctx.save_result_file("selftest.txt", f"background self-test: counted to {n}\n".encode())
    return {"counted": n}
