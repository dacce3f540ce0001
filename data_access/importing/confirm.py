"""The Data page's import in two steps: a check whose preview the clerk reads, then its
confirmation, which writes the very files that were checked, as the account that checked them
(docs/metrics.md §6, the preview).

What the page keeps between the steps (CheckedImport) is the server's own copy of the files;
whether a confirmation may write is decided here, by comparing it with the files in the
uploader and the account as it is when the button is pressed, never on a value the page offered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from data_access.importing.messages import Problem
from data_access.importing.readers import Upload
from data_access.importing.runner import ImportReport, run_import
from data_access.importing.validate import Progress


@dataclass(frozen=True)
class CheckedImport:
    """A check that may be confirmed: its files, their digest, the account and area it ran as,
    and its report (the preview)."""

    uploads: tuple[Upload, ...]
    digest: str
    account: str | None
    scope_code: str | None
    report: ImportReport


def uploads_digest(uploads: Sequence[Upload]) -> str:
    """One digest of a set of files, by name and content, whatever their order."""
    parts = sorted(
        (upload.name, hashlib.sha256(upload.data or b"").hexdigest()) for upload in uploads
    )
    digest = hashlib.sha256()
    for name, content in parts:
        digest.update(f"{name}\0{content}\n".encode())
    return digest.hexdigest()


def checked_import(
    uploads: Sequence[Upload], account: str | None, scope_code: str | None, report: ImportReport
) -> CheckedImport | None:
    """What a check leaves for its confirmation, when its preview may be confirmed at all:
    no problem, and something to write."""
    if not report.may_confirm:
        return None
    return CheckedImport(tuple(uploads), uploads_digest(uploads), account, scope_code, report)


def confirmation_refused(
    checked: CheckedImport,
    uploads: Sequence[Upload],
    account: str | None,
    scope_code: str | None,
) -> str | None:
    """None when the confirmation may write; else the problem's key: the files in the uploader
    are not those checked, or the account or its area changed since the check."""
    if uploads_digest(uploads) != checked.digest:
        return "stale_files"
    if (account, scope_code) != (checked.account, checked.scope_code):
        return "stale_scope"
    return None


def confirm_import(
    engine: Engine,
    checked: CheckedImport,
    uploads: Sequence[Upload],
    *,
    account: str | None,
    scope_code: str | None,
    audited_as: str | None,
    max_bytes: int,
    language: str = "zh",
    progress: Progress | None = None,
) -> ImportReport:
    """Writes the checked files when confirmation_refused finds nothing; else writes nothing and
    says why. Every check runs again on the write (run_import), against the database as it is.

    account and scope_code: the importing account as it is now; audited_as: the name recorded in
    the import's audit rows (None with sign-in off)."""
    reason = confirmation_refused(checked, uploads, account, scope_code)
    if reason is not None:
        return ImportReport("refused", [Problem("—", reason)], total_problems=1)
    return run_import(
        engine,
        list(checked.uploads),
        max_bytes=max_bytes,
        language=language,
        progress=progress,
        account=audited_as,
        scope_code=scope_code,
    )
