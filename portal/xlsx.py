"""One streaming .xlsx exporter for every list view.

Rows come from the view's filtered, scoped query through a server-side cursor (``yield_per``) and go
into xlsxwriter's ``constant_memory`` mode, which flushes each row to disk; the finished file is then
streamed in chunks and deleted. Memory stays flat whatever the row count.
"""
from __future__ import annotations

import datetime as dt
import enum
import os
import tempfile
from typing import Callable, Iterable, Sequence
from urllib.parse import quote

import xlsxwriter
from flask import Response

CHUNK = 64 * 1024


def plain(value):
    """Any value to what xlsxwriter writes: str, int, float, bool, or None for an empty cell.

    The same rules the export always had: enums by value, date-times to the minute, other objects
    (decimals, related rows) by their text.
    """
    if value is None:
        return None
    cls = value.__class__
    if cls is str or cls is int or cls is float or cls is bool:
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, (str, int, float)):
        return value
    return str(value)


def write_workbook(path: str, sheet: str, headers: Sequence[str], rows: Iterable[Sequence],
                   converters: Sequence[Callable | None] | None = None) -> int:
    """Write ``rows`` under ``headers`` to ``path``; returns the number of data rows.

    ``converters``: one per column, turning a row's value into a cell (str, int, float, bool or None);
    ``None`` for a column whose values already are cells. Without them every value goes through
    ``plain``. Cells are written with the typed methods: a text is always a text cell, never read as a
    formula or a link (a name typed as ``=…`` must not become a formula in someone's spreadsheet).
    """
    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": os.path.dirname(path)})
    ws = wb.add_worksheet(sheet[:31] or "Sheet1")
    bold = wb.add_format({"bold": True})
    for c, h in enumerate(headers):
        ws.write_string(0, c, str(h), bold)
    convs = list(converters) if converters is not None else [plain] * len(headers)
    write_string, write_number = ws.write_string, ws.write_number
    n = 0
    for n, row in enumerate(rows, start=1):
        c = 0
        for v in row:
            conv = convs[c]
            if conv is not None:
                v = conv(v)
            if v is not None and v != "":
                cls = v.__class__
                if cls is str:
                    write_string(n, c, v)
                elif cls is int or cls is float:
                    write_number(n, c, v)
                else:
                    _write_other(ws, n, c, v)
            c += 1
    wb.close()
    return n


def _write_other(ws, row: int, col: int, value) -> None:
    if isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value)
    else:
        ws.write_string(row, col, str(value))


def stream_file(path: str, filename: str, delete: bool = True) -> Response:
    def generate():
        try:
            with open(path, "rb") as fh:
                while True:
                    chunk = fh.read(CHUNK)
                    if not chunk:
                        break
                    yield chunk
        finally:
            if delete:
                try:
                    os.unlink(path)
                except OSError:
                    pass

    headers = {
        # RFC 5987 so Chinese and Mongolian file names survive every browser.
        "Content-Disposition": f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(filename)}",
        "Content-Length": str(os.path.getsize(path)),
    }
    return Response(
        generate(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=headers,
        direct_passthrough=True,
    )


def export_response(filename: str, sheet: str, headers: Sequence[str], rows: Iterable[Sequence],
                    converters: Sequence[Callable | None] | None = None) -> Response:
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="anwang-export-")
    os.close(fd)
    try:
        write_workbook(path, sheet, headers, rows, converters)
    except Exception:
        os.unlink(path)
        raise
    return stream_file(path, filename)


def rows_from_query(query, getters: Sequence[Callable], batch: int = 1000):
    """Iterate a query's objects in batches (server-side cursor on PostgreSQL) applying ``getters`` per row.

    For exports built by hand (survey answers); list views use ``portal.export_plan``. Executed as a
    2.0 statement: the legacy Query uniquifies rows when joined eager loads are present, which rules
    out ``yield_per``; many-to-one joins never duplicate rows, so no uniquing is needed.
    """
    session = query.session
    result = session.execute(query.statement.execution_options(yield_per=batch))
    for obj in result.scalars():
        yield [g(obj) for g in getters]
