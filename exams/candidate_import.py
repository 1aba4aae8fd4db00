"""Registering a sitting's candidates from an xlsx sheet: read, check every row, then import all or nothing.

The sheet has a header row naming the column that identifies each candidate: 用户名 (username) or
用户ID (the account's numeric id); either may be used per row. The exam administrator first runs a
check (a dry run that reports every problem by row and column), then confirms; the confirmation
checks again under the sitting's lock and imports nothing if any row is invalid.
"""

import io
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Sitting

MAX_ROWS = 5000
# Accepted header spellings (compared without spaces, case-folded) -> column key.
HEADERS = {
    "用户名": "username",
    "username": "username",
    "用户id": "user_id",
    "userid": "user_id",
    "用户编号": "user_id",
}
COLUMN_LABELS = {"username": "用户名", "user_id": "用户ID"}


@dataclass
class CandidateRow:
    row: int  # as the spreadsheet shows it: the header is row 1
    username: str
    user_id: str

    def as_params(self) -> dict:
        return {"row": self.row, "username": self.username, "user_id": self.user_id}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores typed-in ids as numbers
    return str(value).strip()


def read_candidate_rows(*, data: bytes) -> list[CandidateRow]:
    """The candidate rows of an xlsx file; ValidationError (translated) when the file cannot be used."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not xlsx
        raise ValidationError(_("The file is not an Excel workbook (.xlsx).")) from None
    try:
        rows = workbook.active.iter_rows(values_only=True)
        header = next(rows, None) or ()
        columns = {}
        for index, value in enumerate(header):
            key = HEADERS.get("".join(_cell(value).split()).casefold())
            if key and key not in columns:
                columns[key] = index
        if not columns:
            raise ValidationError(
                _("The first row must name the column of usernames (用户名) or of user ids (用户ID).")
            )
        found = []
        for number, values in enumerate(rows, start=2):
            cells = {key: _cell(values[i]) if i < len(values) else "" for key, i in columns.items()}
            if not any(cells.values()):
                continue  # blank lines between blocks of names are not errors
            found.append(CandidateRow(row=number, username=cells.get("username", ""), user_id=cells.get("user_id", "")))
            if len(found) > MAX_ROWS:
                raise ValidationError(_("The sheet has more than %(max)d candidates.") % {"max": MAX_ROWS})
    finally:
        workbook.close()
    if not found:
        raise ValidationError(_("The sheet lists no candidates."))
    return found


def rows_from_params(rows: list[dict]) -> list[CandidateRow]:
    return [CandidateRow(row=int(r["row"]), username=str(r["username"]), user_id=str(r["user_id"])) for r in rows]


def check_candidate_rows(*, sitting: Sitting, rows: list[CandidateRow], progress=None) -> tuple[list, list[dict]]:
    """Check every row: (users to register in row order, problems [{row, field, message}]).

    Problems: neither column filled, unknown username or id, the two columns naming different
    people, the same person twice in the sheet, not eligible (with the reason registration gives,
    e.g. already registered, no appraiser profile, other practice categories, waiting period),
    and rows beyond the sitting's remaining places.
    """
    from . import services

    user_model = get_user_model()
    usernames = {r.username for r in rows if r.username}
    ids = {int(r.user_id) for r in rows if r.user_id.isdigit()}
    by_username = {u.username: u for u in user_model.objects.filter(username__in=usernames)}
    by_id = {u.pk: u for u in user_model.objects.filter(pk__in=ids)}
    places = sitting.capacity - sitting.registrations.count()
    users, problems, seen = [], [], {}
    for done, row in enumerate(rows, 1):
        if progress is not None:
            progress(done, len(rows))
        field = COLUMN_LABELS["username"] if row.username else COLUMN_LABELS["user_id"]
        if not row.username and not row.user_id:
            problems.append(
                {"row": row.row, "field": field, "message": _("Neither a username nor a user id is given.")}
            )
            continue
        user = None
        if row.username:
            user = by_username.get(row.username)
            if user is None:
                problems.append(
                    {"row": row.row, "field": field, "message": _("No user “%(value)s”.") % {"value": row.username}}
                )
                continue
        if row.user_id:
            by_number = by_id.get(int(row.user_id)) if row.user_id.isdigit() else None
            if by_number is None:
                problems.append(
                    {
                        "row": row.row,
                        "field": COLUMN_LABELS["user_id"],
                        "message": _("No user with id “%(value)s”.") % {"value": row.user_id},
                    }
                )
                continue
            if user is not None and by_number.pk != user.pk:
                problems.append(
                    {
                        "row": row.row,
                        "field": COLUMN_LABELS["user_id"],
                        "message": _("User id %(id)s is not the user “%(username)s”.")
                        % {"id": row.user_id, "username": row.username},
                    }
                )
                continue
            user = by_number
        if user.pk in seen:
            problems.append(
                {
                    "row": row.row,
                    "field": field,
                    "message": _("Duplicate: %(user)s is already listed in row %(row)d.")
                    % {"user": user.get_username(), "row": seen[user.pk]},
                }
            )
            continue
        seen[user.pk] = row.row
        reason = services.registration_refusal(sitting=sitting, user=user)
        if reason:
            problems.append(
                {
                    "row": row.row,
                    "field": field,
                    "message": _("%(user)s cannot be registered: %(reason)s")
                    % {"user": user.get_username(), "reason": reason},
                }
            )
            continue
        if len(users) >= places:
            problems.append(
                {
                    "row": row.row,
                    "field": field,
                    "message": _("Over capacity: the sitting has %(places)d free places of %(capacity)d.")
                    % {"places": max(places, 0), "capacity": sitting.capacity},
                }
            )
            continue
        users.append(user)
    return users, problems


def import_candidate_rows(*, sitting: Sitting, rows: list[CandidateRow], registered_by, progress=None) -> int:
    """Register every row's candidate, or none: ValidationError lists the problems when any row is invalid.

    Checked again under the sitting's lock (registrations made since the preview count), in one
    transaction with the registrations it creates.
    """
    from . import services

    with transaction.atomic():
        sitting = Sitting.objects.select_for_update().select_related("exam__policy").get(pk=sitting.pk)
        users, problems = check_candidate_rows(sitting=sitting, rows=rows, progress=progress)
        if problems:
            raise ValidationError([f"{p['row']} {p['field']}: {p['message']}" for p in problems])
        for user in users:
            services.registration_create(sitting=sitting, user=user, registered_by=registered_by)
    return len(users)
