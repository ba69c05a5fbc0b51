import csv
import io
from datetime import UTC, datetime

import pytest

from backend.core.csv_export import csv_text, escape_cell


@pytest.mark.parametrize("risky", ["=1+2", "+1", "-2", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("http://x")'])
def test_cells_that_a_spreadsheet_would_run_are_quoted(risky):
    assert escape_cell(risky) == "'" + risky


@pytest.mark.parametrize(
    "value, written",
    [
        ("plain", "plain"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
        (None, ""),
        (42, 42),
        (-5, -5),
        (True, "true"),
        (datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "2026-01-02T03:04:00+00:00"),
    ],
)
def test_other_cells_are_written_as_they_are(value, written):
    assert escape_cell(value) == written


def test_a_document_round_trips_through_a_csv_reader():
    text = csv_text(["name", "note"], [["=evil", 'line one\nline two, with "quotes"'], ["ok", -3]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "note"],
        ["'=evil", 'line one\nline two, with "quotes"'],
        ["ok", "-3"],
    ]
