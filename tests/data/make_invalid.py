#!/usr/bin/env python3
"""Regenerate tests/data/invalid/<case>/ from tests/data/tiny/.

Each case is a copy of `tiny` with exactly one defect (`multi` has three, in three tables) and
an `expect.txt` whose non-empty lines must all appear in `forloeb validate`'s stdout+stderr.
Row numbers count data rows: row 1 = first line after the header.

Run from anywhere: `python3 tests/data/make_invalid.py`. Only the cases listed here are
rewritten; other folders under invalid/ are left alone. `two_forms` needs pyarrow to write its
Parquet file; without it an existing persons.parquet is kept.
"""

import csv
import io
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent
TINY = DATA / "tiny"
INVALID = DATA / "invalid"


def read(case, table):
    with open(case / f"{table}.csv", newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write(case, table, rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (case / f"{table}.csv").write_text(buf.getvalue(), encoding="utf-8")


def set_cell(table, row, column, value):
    """Data row `row` (1-based) of `table`, column `column` := `value`."""

    def edit(case):
        rows = read(case, table)
        rows[row][rows[0].index(column)] = value
        write(case, table, rows)

    return edit


def drop_column(table, column):
    def edit(case):
        rows = read(case, table)
        i = rows[0].index(column)
        write(case, table, [r[:i] + r[i + 1 :] for r in rows])

    return edit


def append_row(table, row):
    def edit(case):
        write(case, table, read(case, table) + [row])

    return edit


def remove_file(name):
    def edit(case):
        (case / name).unlink()

    return edit


def write_bytes(name, data):
    def edit(case):
        (case / name).write_bytes(data)

    return edit


def add_parquet_twin(table):
    """Write `<table>.parquet` beside `<table>.csv` (same content; content does not matter)."""

    def edit(case, keep=None):
        try:
            import pyarrow.csv as pcsv
            import pyarrow.parquet as pq
        except ImportError:
            if keep is None:
                raise SystemExit("two_forms needs pyarrow (pip install pyarrow)")
            (case / f"{table}.parquet").write_bytes(keep)
            return
        pq.write_table(pcsv.read_csv(case / f"{table}.csv"), case / f"{table}.parquet")

    return edit


def row_col(table, file, row, column, value=None):
    lines = [f"[{table}]", file, f"row {row}", f"column `{column}`"]
    if value is not None:
        lines.append(f"'{value}'")
    return lines


CASES = {
    "missing_table": ([remove_file("meetings.csv")], ["[meetings]"]),
    "missing_column": (
        [drop_column("benefit_periods", "start")],
        ["[benefit_periods]", "benefit_periods.csv", "column `start`"],
    ),
    "bad_date": (
        [set_cell("benefit_periods", 3, "start", "2023-13-01")],
        row_col("benefit_periods", "benefit_periods.csv", 3, "start", "2023-13-01"),
    ),
    "bad_int": (
        [set_cell("persons", 2, "birth_year", "19x0")],
        row_col("persons", "persons.csv", 2, "birth_year", "19x0"),
    ),
    "bad_float": (
        [set_cell("paid_hours", 2, "hours", "abc")],
        row_col("paid_hours", "paid_hours.csv", 2, "hours", "abc"),
    ),
    "unknown_benefit": (
        [set_cell("benefit_periods", 7, "benefit", "kontant")],
        row_col("benefit_periods", "benefit_periods.csv", 7, "benefit", "kontant"),
    ),
    "unknown_municipality": (
        [set_cell("benefit_periods", 9, "municipality", "999")],
        row_col("benefit_periods", "benefit_periods.csv", 9, "municipality", "999"),
    ),
    "unknown_group": (
        [set_cell("assessments", 4, "group", "jobklar")],
        row_col("assessments", "assessments.csv", 4, "group", "jobklar"),
    ),
    "unknown_sex": (
        [set_cell("persons", 3, "sex", "X")],
        row_col("persons", "persons.csv", 3, "sex", "X"),
    ),
    "unknown_meeting_status": (
        [set_cell("meetings", 3, "status", "afbud")],
        row_col("meetings", "meetings.csv", 3, "status", "afbud"),
    ),
    # P007's sygedagpenge period 2020-11-01..2020-10-15; reported on the `end` column.
    "end_before_start": (
        [set_cell("benefit_periods", 11, "end", "2020-10-15")],
        row_col("benefit_periods", "benefit_periods.csv", 11, "end", "2020-10-15"),
    ),
    "month_not_first": (
        [set_cell("paid_hours", 3, "month", "2021-12-15")],
        row_col("paid_hours", "paid_hours.csv", 3, "month", "2021-12-15"),
    ),
    "unknown_person": (
        [set_cell("meetings", 5, "person_id", "P999")],
        row_col("meetings", "meetings.csv", 5, "person_id", "P999"),
    ),
    # A ninth persons row repeating P003; the repeat (row 9) must be named.
    "duplicate_person": (
        [append_row("persons", ["P003", "1978", "F", "danish", "vocational", ""])],
        row_col("persons", "persons.csv", 9, "person_id", "P003"),
    ),
    # -7.5 prints the same whether echoed raw or formatted from a float.
    "negative_hours": (
        [set_cell("paid_hours", 4, "hours", "-7.5")],
        row_col("paid_hours", "paid_hours.csv", 4, "hours", "-7.5"),
    ),
    # Row 4 (P003 ips) has a null end, so the start is the only defect.
    "start_after_extract_end": (
        [set_cell("interventions", 4, "start", "2025-03-01")],
        row_col("interventions", "interventions.csv", 4, "start", "2025-03-01"),
    ),
    "date_after_extract_end": (
        [set_cell("meetings", 9, "date", "2025-01-02")],
        row_col("meetings", "meetings.csv", 9, "date", "2025-01-02"),
    ),
    # The value of an empty field is not pinned down, so only table, file, row and column.
    "required_null": (
        [set_cell("assessments", 5, "person_id", "")],
        row_col("assessments", "assessments.csv", 5, "person_id"),
    ),
    "two_forms": ([add_parquet_twin("persons")], ["[persons]"]),
    "not_csv": (
        [write_bytes("paid_hours.csv", b"\x00\x00\xff\xfe\x00\x01PAR1\xff\xff\x00garbage\xc3\x28\xff\n\x00\xff")],
        ["[paid_hours]", "paid_hours.csv"],
    ),
    "birth_year_out_of_range": (
        [set_cell("persons", 4, "birth_year", "1850")],
        row_col("persons", "persons.csv", 4, "birth_year", "1850"),
    ),
    "multi": (
        [
            set_cell("persons", 2, "sex", "Q"),
            set_cell("benefit_periods", 5, "municipality", "999"),
            set_cell("paid_hours", 6, "hours", "-1.5"),
        ],
        row_col("persons", "persons.csv", 2, "sex", "Q")
        + row_col("benefit_periods", "benefit_periods.csv", 5, "municipality", "999")
        + row_col("paid_hours", "paid_hours.csv", 6, "hours", "-1.5"),
    ),
}


def main():
    for name, (edits, expect) in CASES.items():
        case = INVALID / name
        keep = None
        if (case / "persons.parquet").exists():
            keep = (case / "persons.parquet").read_bytes()
        if case.exists():
            shutil.rmtree(case)
        shutil.copytree(TINY, case)
        for edit in edits:
            if name == "two_forms":
                edit(case, keep)
            else:
                edit(case)
        # Keep the order, drop repeated fragments (e.g. the file name in `multi`).
        lines = list(dict.fromkeys(expect))
        (case / "expect.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{name}: {len(lines)} expected fragments")


if __name__ == "__main__":
    main()
