"""A small generic Excel import engine: read, match headers, validate every row, then write in one go.

The flow is always the same two steps so nothing is written by surprise:
1. *dry run*: the uploaded .xlsx is kept in a temp file (its token in the session), every row is
   validated with the same rules as the forms and the page lists each bad cell (row, column, reason);
2. *confirm*: "import all" (only when no row is bad) or "import only the good rows" re-validates the
   kept file against the database as it is now and writes the good rows in one transaction.

An importer declares its columns (``ImportColumn``); headers are matched by the labels the export
writes, in any of the portal's languages, by the English label or by the field name.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from flask import current_app, flash, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField

from portal import xlsx
from portal.core.settings import get_setting
from portal.extensions import db
from portal.security.scope import ScopeViolation

# Kept uploads live here between dry run and confirm; older ones are swept on each upload.
UPLOAD_DIR = os.path.join(tempfile.gettempdir(), "anwang-import")
KEEP_SECONDS = 24 * 3600
MAX_PROBLEMS_SHOWN = 500
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


class Invalid(Exception):
    """A cell value refused by a column's parser; ``message`` is shown to the user (translated)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class ImportFileError(Exception):
    """The whole file cannot be used (not an .xlsx, corrupt, missing columns, too many rows)."""


# -- cell helpers -------------------------------------------------------------------------------------
def cell_text(value) -> str:
    """A cell as the text a person typed: integers stay integers (13812345678.0 → "13812345678")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def norm_key(text) -> str:
    """Header / label comparison key: case and all whitespace (incl. U+202F, U+3000) ignored."""
    return "".join(str(text or "").split()).casefold().rstrip("*＊")


def localized_variants(label) -> set[str]:
    """A (lazy) label in every portal language, plus its English msgid."""
    args = getattr(label, "_args", None)  # flask_babel's LazyString keeps the msgid here
    out = {norm_key(args[0] if args else label)}
    for loc in current_app.config.get("LANGUAGES") or {"zh": {}}:
        with force_locale(loc):
            out.add(norm_key(str(label)))
    out.discard("")
    return out


def coded_lookup(labels: dict) -> dict[str, str]:
    """{normalised label or code: code} for a {code: lazy label} mapping, in every language."""
    table: dict[str, str] = {}
    for code, label in labels.items():
        table[norm_key(code)] = code
        for v in localized_variants(label):
            table.setdefault(v, code)
    return table


def parse_coded(labels: dict, message) -> Callable[[str, Any], str]:
    """Accept a code (``school``) or its label in any language (学校)."""
    def parse(text, ctx):
        code = ctx.cached(id(labels), lambda: coded_lookup(labels)).get(norm_key(text))
        if code is None:
            raise Invalid(message)
        return code

    return parse


_TRUE = {"1", "true", "yes", "y", "是", "√", "✓"}
_FALSE = {"0", "false", "no", "n", "否", "×", "✗"}


def parse_bool(text, ctx) -> bool:
    # "Yes"/"No" as the export writes them, in any language; computed once per importer.
    words = ctx.cached("bool", lambda: (_TRUE | localized_variants(_l("Yes")), _FALSE | localized_variants(_l("No"))))
    key = norm_key(text)
    if key in words[0]:
        return True
    if key in words[1]:
        return False
    raise Invalid(_l("Write Yes or No"))


def parse_int(minimum: int = 0) -> Callable[[str, Any], int]:
    def parse(text, ctx):
        try:
            value = int(text)
        except ValueError:
            raise Invalid(_l("Write a whole number"))
        if value < minimum:
            raise Invalid(_l("Must be at least %(n)s", n=minimum))
        return value

    return parse


def parse_date(text, ctx) -> dt.date:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d %H:%M", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise Invalid(_l("Write the date as YYYY-MM-DD"))


def parse_text(max_len: int | None = None) -> Callable[[str, Any], str]:
    def parse(text, ctx):
        if max_len is not None and len(text) > max_len:
            raise Invalid(_l("Too long: at most %(n)s characters", n=max_len))
        return text

    return parse


# -- declarations ---------------------------------------------------------------------------------------
@dataclass
class ImportColumn:
    name: str  # the model attribute (or a pseudo name such as "grid.code"); also accepted as header
    label: Any  # lazy label, the same one the export writes
    parse: Callable[[str, Any], Any] = field(default_factory=lambda: parse_text())
    required: bool = False
    unique: bool = False  # unique within the file and among existing rows (see ``existing_values``)
    aliases: tuple[str, ...] = ()


@dataclass
class Problem:
    row: int  # the Excel row number (header = 1)
    column: str  # column label in the user's language ("" for the whole row)
    message: str


@dataclass
class Report:
    filename: str = ""
    rows_total: int = 0
    good: list[tuple[int, dict]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})

    @property
    def good_count(self) -> int:
        return len(self.good)


class Importer:
    """Subclass per model: ``columns``, ``build()``, and optionally ``prepare`` / ``check`` /
    ``existing_values``. One instance per request (``prepare`` caches lookups on it)."""

    model: type
    columns: list[ImportColumn] = []
    sheet_title: Any = "Import"

    def __init__(self):
        self._cache: dict = {}

    def cached(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def max_rows(self) -> int:
        from portal.core.settings import get_setting

        return int(get_setting("import_max_rows"))

    # hooks ----------------------------------------------------------------------------------------
    def prepare(self, raw_rows: list[dict[str, str]]) -> None:
        """Batch lookups for the whole file (grids by code ...) so validation costs no query per row."""

    def check(self, values: dict, add_problem: Callable[[str, Any], None]) -> None:
        """Cross-field rules of one row; ``add_problem(column_name, message)``."""

    def existing_values(self, column: str, values: set[str]) -> set[str]:
        """Which of ``values`` already exist in the database (for ``unique`` columns)."""
        return set()

    def build(self, values: dict):
        raise NotImplementedError

    # engine -----------------------------------------------------------------------------------------
    def header_map(self, headers: list[str]) -> tuple[dict[int, ImportColumn], list[str]]:
        lookup: dict[str, ImportColumn] = {}
        for col in self.columns:
            for key in {norm_key(col.name), *(norm_key(a) for a in col.aliases), *localized_variants(col.label)}:
                lookup.setdefault(key, col)
        mapping: dict[int, ImportColumn] = {}
        ignored: list[str] = []
        taken: set[str] = set()
        for i, h in enumerate(headers):
            col = lookup.get(norm_key(h))
            if col is None or col.name in taken:
                if h:
                    ignored.append(h)
                continue
            taken.add(col.name)
            mapping[i] = col
        missing = [str(c.label) for c in self.columns if c.required and c.name not in taken]
        if missing:
            raise ImportFileError(
                _("The header row lacks required columns: %(cols)s. Download the template to see the expected headers.",
                  cols="、".join(missing))
            )
        return mapping, ignored

    def read(self, path: str) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[str]]:
        """Headers, [(row number, {column name: text})] and the ignored headers of the first sheet."""
        limit = self.max_rows()
        try:
            sheet_rows = _iter_xlsx(path)
            headers = [cell_text(v) for v in next(sheet_rows, ())]
            if not any(headers):
                raise ImportFileError(_("The first row of the sheet must be the header row; it is empty."))
            mapping, ignored = self.header_map(headers)
            rows: list[tuple[int, dict[str, str]]] = []
            for number, values in enumerate(sheet_rows, start=2):
                texts = {col.name: cell_text(values[i]) if i < len(values) else "" for i, col in mapping.items()}
                if not any(texts.values()):
                    continue  # blank lines in the middle or at the end of a sheet
                if len(rows) >= limit:
                    raise ImportFileError(_("The file has more than %(n)s rows: split it into smaller files.", n=limit))
                rows.append((number, texts))
        except ImportFileError:
            raise
        except Exception:  # openpyxl raises many kinds of errors on damaged files
            current_app.logger.info("import: unreadable workbook", exc_info=True)
            raise ImportFileError(_unreadable())
        return headers, rows, ignored

    def validate(self, path: str, filename: str = "") -> Report:
        headers, rows, ignored = self.read(path)
        report = Report(filename=filename, rows_total=len(rows), ignored_headers=ignored)
        self.prepare([r for _, r in rows])
        labels = {c.name: str(c.label) for c in self.columns}
        cleaned_rows: list[tuple[int, dict, list[Problem]]] = []
        for number, texts in rows:
            problems: list[Problem] = []
            values: dict = {}
            for col in self.columns:
                if col.name not in texts:
                    continue  # column absent from the file: the model's default applies
                text = texts[col.name]
                if not text:
                    if col.required:
                        problems.append(Problem(number, labels[col.name], _("Required")))
                    values[col.name] = None
                    continue
                try:
                    values[col.name] = col.parse(text, self)
                except Invalid as e:
                    problems.append(Problem(number, labels[col.name], str(e.message)))
                    values[col.name] = None
            if not problems:
                self.check(values, lambda name, msg, n=number, p=problems: p.append(Problem(n, labels.get(name, ""), str(msg))))
            cleaned_rows.append((number, values, problems))
        self._check_unique(cleaned_rows, labels)
        for number, values, problems in cleaned_rows:
            if problems:
                report.problems.extend(problems)
            else:
                report.good.append((number, values))
        return report

    def _check_unique(self, cleaned_rows, labels) -> None:
        for col in self.columns:
            if not col.unique:
                continue
            present = {v[col.name] for _, v, _p in cleaned_rows if v.get(col.name)}
            existing = self.existing_values(col.name, present) if present else set()
            first_row: dict = {}
            for number, values, problems in cleaned_rows:
                value = values.get(col.name)
                if not value:
                    continue
                if value in existing:
                    problems.append(Problem(number, labels[col.name], _("Already registered in the portal: %(v)s", v=value)))
                elif value in first_row:
                    problems.append(Problem(
                        number, labels[col.name], _("Same value as row %(row)s of this file: %(v)s", row=first_row[value], v=value)
                    ))
                else:
                    first_row[value] = number

    def write(self, report: Report) -> int:
        """Add every good row in one transaction; the caller commits or rolls back."""
        objs = [self.build(values) for _, values in report.good]
        db.session.add_all(objs)
        db.session.flush()
        return len(objs)

    def template_headers(self) -> list[str]:
        return [str(c.label) for c in self.columns]


def _iter_xlsx(path: str) -> Iterable[tuple]:
    if not zipfile.is_zipfile(path):
        raise ImportFileError(_unreadable())
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        yield from ws.iter_rows(values_only=True)
    finally:
        wb.close()


def _unreadable() -> str:
    return _("The file could not be read as an Excel workbook (.xlsx). Save it in Excel as "
             "\"Excel Workbook (*.xlsx)\" and upload it again; old .xls files and CSV are not accepted.")


# -- kept uploads -------------------------------------------------------------------------------------
def _kept_path(token: str) -> str:
    return os.path.join(UPLOAD_DIR, f"{token}.xlsx")


def keep_upload(storage) -> str:
    os.makedirs(UPLOAD_DIR, mode=0o700, exist_ok=True)
    _sweep()
    token = secrets.token_hex(16)
    storage.save(_kept_path(token))
    return token


def kept_file(token: str | None) -> str | None:
    if not token or not _TOKEN_RE.match(token):
        return None
    path = _kept_path(token)
    return path if os.path.exists(path) else None


def drop_upload(token: str | None) -> None:
    path = kept_file(token)
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def _sweep() -> None:
    cutoff = time.time() - KEEP_SECONDS
    try:
        for name in os.listdir(UPLOAD_DIR):
            p = os.path.join(UPLOAD_DIR, name)
            if os.path.getmtime(p) < cutoff:
                os.unlink(p)
    except OSError:
        pass


# -- the view -------------------------------------------------------------------------------------------
class UploadForm(FlaskForm):
    file = FileField(_l("Excel file"))


class ConfirmForm(FlaskForm):
    # The chosen mode comes from the pressed button (name="mode"), not from a field.
    token = HiddenField()


class ImportView(BaseView):
    """Upload → dry run → confirm; subclasses set ``importer``, ``list_endpoint`` and titles."""

    importer: type[Importer]
    list_endpoint: str = ""
    import_title: Any = _l("Import")
    default_view = "upload"
    page_template = "portal/import.html"

    def _session_key(self) -> str:
        return f"import:{self.__class__.__name__}"

    def _render(self, form=None, report: Report | None = None, error: str | None = None, token: str | None = None):
        return self.render_template(
            self.page_template,
            title=self.import_title,
            form=form or UploadForm(formdata=None),
            confirm_form=ConfirmForm(formdata=None, token=token) if token else None,
            report=report,
            error=error,
            max_shown=MAX_PROBLEMS_SHOWN,
            max_mb=max(1, (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)),
            required=[str(c.label) for c in self.importer().columns if c.required],
            template_url=url_for(f"{self.__class__.__name__}.template"),
            list_url=url_for(self.list_endpoint) if self.list_endpoint else None,
        )

    @expose("/", methods=["GET", "POST"])
    @has_access
    @permission_name("import")
    def upload(self):
        if request.method == "GET":
            return self._render()
        try:
            form = UploadForm()
            storage = request.files.get("file")
        except RequestEntityTooLarge:
            return self._render(error=_too_large())
        if not form.validate_on_submit():
            return self._render(form, error=_("The form has expired; upload the file again."))
        if storage is None or not storage.filename:
            return self._render(form, error=_("Choose an Excel file to upload."))
        drop_upload(session.get(self._session_key(), {}).get("token"))
        token = keep_upload(storage)
        try:
            report = self.importer().validate(_kept_path(token), storage.filename)
        except ImportFileError as e:
            drop_upload(token)
            session.pop(self._session_key(), None)
            return self._render(form, error=str(e))
        session[self._session_key()] = {"token": token, "filename": storage.filename}
        return self._render(form, report=report, token=token)

    @expose("/confirm", methods=["POST"])
    @has_access
    @permission_name("import")
    def confirm(self):
        form = ConfirmForm()
        kept = session.get(self._session_key()) or {}
        token = kept.get("token")
        path = kept_file(token)
        if not form.validate_on_submit() or path is None or form.token.data != token:
            return self._render(error=_("This upload is no longer available; upload the file again."))
        # Re-validate: the database may have changed since the dry run (another import, an edit).
        importer = self.importer()
        try:
            report = importer.validate(path, kept.get("filename", ""))
        except ImportFileError as e:
            return self._render(error=str(e))
        only_good = request.form.get("mode") == "good"
        if report.problems and not only_good:
            return self._render(
                report=report, token=token,
                error=_("Import all is not possible while %(n)s row(s) have errors: correct the file, "
                        "or import only the good rows.", n=report.bad_rows),
            )
        if not report.good:
            return self._render(report=report, token=token, error=_("There are no good rows to import."))
        if len(report.good) > int(get_setting("import_sync_limit")):
            # Many rows: write them in a background job as this user (portal.jobs), keeping the file.
            from portal.jobs.runner import start

            args = [("token", token), ("filename", kept.get("filename", "")), ("mode", "good" if only_good else "all")]
            job = start("import", type(self).__name__, str(self.import_title), args, len(report.good))
            session.pop(self._session_key(), None)
            return redirect(url_for("JobView.show", pk=job.id))
        try:
            written = importer.write(report)
            db.session.commit()
        except (SQLAlchemyError, ScopeViolation):
            db.session.rollback()
            current_app.logger.warning("import failed and was rolled back", exc_info=True)
            return self._render(
                report=report, token=token,
                error=_("Nothing was imported: the database refused the rows (perhaps someone changed the "
                        "same records meanwhile). Run the check again."),
            )
        drop_upload(token)
        session.pop(self._session_key(), None)
        msg = _("%(n)s row(s) imported.", n=written)
        if report.problems:
            msg += " " + _("%(n)s row(s) with errors were skipped.", n=report.bad_rows)
        flash(msg, "success")
        return redirect(url_for(self.list_endpoint) if self.list_endpoint else url_for(f"{self.__class__.__name__}.upload"))

    @expose("/template")
    @has_access
    @permission_name("import")
    def template(self):
        title = str(self.importer.sheet_title)
        return xlsx.export_response(f"{title}.xlsx", title, self.importer().template_headers(), [])


def _too_large() -> str:
    mb = max(1, (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))
    return _("The file is too large: at most %(n)s MB.", n=mb)
