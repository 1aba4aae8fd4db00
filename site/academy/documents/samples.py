"""Made-up data for the sample PDFs (the admin's test certificate, the benchmark's table).

Nothing here is a real person or a valid certificate; the data is Chinese on purpose, so the sample
shows at a glance whether the CJK font, bold and line wrapping work.
"""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

TEST_CERTIFICATE_TEMPLATE = "documents/pdf/test_certificate.html"
TABLE_TEMPLATE = "documents/pdf/table.html"

SAMPLE_COURSE_SUMMARY = (
    "本课程面向从事法医临床鉴定工作的司法鉴定人，系统讲授人体损伤程度鉴定、伤残等级评定、劳动能力鉴定等方面的"
    "最新标准与实务要点。课程结合近年来的典型案例，分析鉴定意见书的规范写作、检材的提取与保存、鉴定过程中的回避"
    "与告知义务，以及出庭作证时应当注意的问题。学员须按时完成全部视频学习与随堂练习，并通过结业考核，方可获得本证书"
    "所载学时。本证书所载学时可计入司法鉴定人年度继续教育学时，由登记管理机关在年度考核中予以认定；如对证书真伪"
    "有疑问，请使用下方的验证码在平台上查询。"
)


def sample_certificate_context(*, completed_on: datetime.date | None = None) -> dict:
    """The context documents/pdf/test_certificate.html expects, with made-up Chinese data."""
    completed_on = completed_on or timezone.localdate()
    code = "7K3F-9QXD-2M8P"
    return {
        "certificate": {
            "holder_name": "王晓明",
            # Printed certificates show the ID number masked.
            "id_number": "110101********1234",
            "number": f"JD-{completed_on.year}-000123",
            "course_title": "法医临床鉴定实务与伤残等级评定",
            "credit_hours": 24,
            "completed_on": completed_on,
            "course_summary": SAMPLE_COURSE_SUMMARY,
            "verification_code": code,
            # A placeholder until certificates have a public verification page.
            "verification_url": f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/verify/{code}/",
        }
    }


_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = ["晓明", "建国", "丽华", "志强", "海燕", "文静", "国庆", "春梅", "永刚", "雪梅"]
_INSTITUTIONS = ["某某司法鉴定中心", "某某大学司法鉴定所", "某某市法医学会司法鉴定所", "某某物证司法鉴定中心"]
_FIELDS = ["法医临床", "法医病理", "法医物证", "文书鉴定", "声像资料", "电子数据"]


def sample_table_context(*, rows: int = 780, chunk_size: int = 40) -> dict:
    """A roster-like table of `rows` made-up appraisers for documents/pdf/table.html.

    Rows come in chunks of `chunk_size`, one <table> each: xhtml2pdf lays out a table in time
    that grows faster than its row count, so a long roster is many short tables.
    """
    # Widths keep each row on one line, so 780 rows make about 20 pages.
    columns = [
        {"label": _("No."), "width": "6%"},
        {"label": pgettext("person", "Name"), "width": "11%"},
        {"label": _("ID number"), "width": "22%"},
        {"label": _("Institution"), "width": "26%"},
        {"label": _("Practice field"), "width": "13%"},
        {"label": _("Credit hours"), "width": "12%"},
        {"label": _("Score"), "width": "10%"},
    ]
    body = [
        [
            str(n),
            _SURNAMES[n % len(_SURNAMES)] + _GIVEN[n % len(_GIVEN)],
            f"1101011990{n % 12 + 1:02d}{n % 28 + 1:02d}{n:04d}"[:18],
            _INSTITUTIONS[n % len(_INSTITUTIONS)],
            _FIELDS[n % len(_FIELDS)],
            str(8 + n % 5 * 4),
            str(60 + n * 7 % 41),
        ]
        for n in range(1, rows + 1)
    ]
    return {
        "title": _("Sample roster"),
        "columns": columns,
        "chunks": [body[start : start + chunk_size] for start in range(0, len(body), chunk_size)],
    }
