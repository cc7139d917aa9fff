"""Report files written row by row into a scratch file, never held in memory.

CSV is UTF-8 with a byte-order mark (so that Excel on a Chinese Windows reads 中文, not
mojibake). XLSX is written by XlsxWriter in `constant_memory` mode: each row goes to disk as it
is written, with inline strings instead of a shared-string table, so 200,000 rows cost what
one row costs.

Formula injection (OWASP "CSV Injection", ASVS 1.2.10): a text cell that starts with `=`, `+`,
`-`, `@`, a tab, a carriage return, a line feed or NUL is prefixed with `'`, so no spreadsheet
runs it as a formula. Numbers, dates and times are written as such (a negative amount stays a
number); only text is escaped.
"""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
# The last row an XLSX sheet can hold (1,048,576 rows, one of them the header).
XLSX_MAX_ROWS = 1_048_575
DATETIME_TEXT = "%Y-%m-%d %H:%M:%S"


class TooManyRows(Exception):
    """More rows than the format can hold."""


def safe_text(value: str) -> str:
    """The text as a spreadsheet must show it: never the start of a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _local(value: datetime) -> datetime:
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


class CsvWriter:
    def __init__(self, scratch: IO[bytes], header: list[str]):
        self._text = io.TextIOWrapper(scratch, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text)
        self._csv.writerow([safe_text(h) for h in header])

    @staticmethod
    def _cell(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, str):
            return safe_text(value)
        if isinstance(value, datetime):
            return _local(value).strftime(DATETIME_TEXT)
        if isinstance(value, date):
            return value.isoformat()
        return value  # int, Decimal: written as the number they are ("12.50", "-3.00")

    def write_row(self, values) -> None:
        cell = self._cell
        self._csv.writerow([cell(v) for v in values])

    def close(self) -> None:
        self._text.flush()
        self._text.detach()  # leave the scratch file open for the storage to read


class XlsxWriter:
    def __init__(self, scratch: IO[bytes], header: list[str], *, sheet: str):
        self._book = xlsxwriter.Workbook(scratch, {
            "constant_memory": True,
            # Text stays text: no formulas, numbers or links guessed from strings.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        })
        self._sheet = self._book.add_worksheet(sheet[:31])
        self._money = self._book.add_format({"num_format": "0.00"})
        self._datetime = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        bold = self._book.add_format({"bold": True})
        for col, title in enumerate(header):
            self._sheet.write_string(0, col, safe_text(title), bold)
        self._row = 0

    def _write(self, row: int, col: int, value: Any) -> None:
        sheet = self._sheet
        if value is None:
            return
        if isinstance(value, str):
            sheet.write_string(row, col, safe_text(value))
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, Decimal):
            sheet.write_number(row, col, value, self._money)
        elif isinstance(value, int):
            sheet.write_number(row, col, value)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, _local(value).replace(microsecond=0), self._datetime)
        elif isinstance(value, date):
            sheet.write_datetime(row, col, value, self._date)
        else:
            sheet.write_string(row, col, safe_text(str(value)))

    def write_row(self, values) -> None:
        self._row += 1
        if self._row > XLSX_MAX_ROWS:
            raise TooManyRows(XLSX_MAX_ROWS)
        for col, value in enumerate(values):
            self._write(self._row, col, value)

    def close(self) -> None:
        self._book.close()


def open_writer(fmt: str, scratch: IO[bytes], header: list[str], *, sheet: str):
    if fmt == "xlsx":
        return XlsxWriter(scratch, header, sheet=sheet)
    return CsvWriter(scratch, header)
