#!/usr/bin/env python3
"""Compare the peer's raw cells (scripts/peer_duckdb.py) with forloeb's published report.

Every cell the peer computed is looked up in the report's table (reports/<label>/tables/*.parquet)
by its keys. A cell forloeb suppressed (null in a row flagged `suppressed`) is skipped and counted;
every other forloeb cell must equal the peer's: integers and text exactly, floats to 1e-9
relative (--rel), a null only against a null. A row on one side only is a difference. The
scope is what the peer computes: `stock_duration`, `fte`, the national rows of
`duration_cohorts`, and the indicators the peer wrote.

    python3 scripts/compare_peer.py --peer /tmp/peer --report reports/2024 [--spells FILE]

`--spells FILE` (from `forloeb spells --out FILE`) also compares the person-level spells with
the peer's `spells.parquet` (written by `peer_duckdb.py --spells`), row by row.

Prints a summary per table (compared, equal, skipped, different, and the first differences) and
exits 1 on any difference.
"""

import argparse
import math
import sys
from pathlib import Path

import duckdb

# Keys of each table (MEASURES.md §8) and which of forloeb's rows the peer covers.
TABLES = {
    "stock_duration": (["level", "unit", "unit_name", "group", "duration_band"], "TRUE"),
    "fte": (["level", "unit", "unit_name", "group"], "TRUE"),
    "duration_cohorts": (["level", "unit", "unit_name", "entry_year", "group"],
                         "level = 'national'"),
    "indicators": (["level", "unit", "unit_name", "group", "measure"],
                   "measure IN (SELECT DISTINCT measure FROM peer)"),
}
SPELL_KEYS = ["person_id", "spell_start"]


def q(c):
    return '"' + c + '"'


def same(a, b, rel):
    """Equal as the spec asks: floats to `rel` relative, everything else exactly."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)
    if hasattr(a, "isoformat") and hasattr(b, "isoformat"):
        return a.isoformat() == b.isoformat()
    return a == b


def compare_table(con, name, peer_file, report_file, keys, scope, rel, show):
    con.execute(f"CREATE OR REPLACE VIEW peer AS SELECT * FROM read_parquet('{peer_file}')")
    con.execute(f"CREATE OR REPLACE VIEW forloeb AS SELECT * FROM read_parquet('{report_file}')"
                f" WHERE {scope}")
    peer_cols = [r[0] for r in con.execute("DESCRIBE peer").fetchall()]
    forloeb_cols = [r[0] for r in con.execute("DESCRIBE forloeb").fetchall()]
    missing = [c for c in peer_cols if c not in forloeb_cols]
    if missing:
        print(f"{name}: columns {missing} not in forloeb's table")
        return {"compared": 0, "equal": 0, "skipped": 0, "different": 1}
    values = [c for c in peer_cols if c not in keys]
    has_flag = "suppressed" in forloeb_cols
    on = " AND ".join(f"p.{q(k)} IS NOT DISTINCT FROM f.{q(k)}" for k in keys)
    sel = ", ".join(
        [f"coalesce(p.{q(k)}, f.{q(k)})" for k in keys]
        + ["p.__row IS NOT NULL", "f.__row IS NOT NULL",
           "f.suppressed" if has_flag else "FALSE"]
        + [f"p.{q(v)}" for v in values] + [f"f.{q(v)}" for v in values])
    rows = con.execute(
        f"SELECT {sel} FROM (SELECT *, TRUE AS __row FROM peer) p "
        f"FULL OUTER JOIN (SELECT *, TRUE AS __row FROM forloeb) f ON {on} "
        f"ORDER BY ALL").fetchall()
    n_keys, n_vals = len(keys), len(values)
    stats = {"compared": 0, "equal": 0, "skipped": 0, "different": 0}
    diffs = []
    for row in rows:
        key = dict(zip(keys, row[:n_keys]))
        in_peer, in_forloeb, suppressed = row[n_keys:n_keys + 3]
        pv = row[n_keys + 3:n_keys + 3 + n_vals]
        fv = row[n_keys + 3 + n_vals:]
        if not (in_peer and in_forloeb):
            stats["different"] += n_vals
            side = "peer only" if in_peer else "forloeb only"
            diffs.append(f"{key}: row on the {side} side")
            continue
        for col, a, b in zip(values, pv, fv):
            if b is None and suppressed:
                stats["skipped"] += 1
                continue
            stats["compared"] += 1
            if same(a, b, rel):
                stats["equal"] += 1
            else:
                stats["different"] += 1
                diffs.append(f"{key} {col}: peer {a!r}, forloeb {b!r}")
    print(f"{name:17} compared {stats['compared']:7}  equal {stats['equal']:7}  "
          f"skipped (suppressed) {stats['skipped']:7}  different {stats['different']:5}")
    for d in diffs[:show]:
        print(f"    {d}")
    if len(diffs) > show:
        print(f"    … and {len(diffs) - show} more")
    return stats


def compare_spells(con, peer_file, forloeb_file, show):
    cols = ["spell_end", "duration_days", "municipality", "left_censored", "closed",
            "group_at_entry"]
    con.execute(f"CREATE OR REPLACE VIEW ps AS SELECT * FROM read_parquet('{peer_file}')")
    con.execute(f"CREATE OR REPLACE VIEW fs AS SELECT * FROM read_parquet('{forloeb_file}')")
    on = " AND ".join(f"CAST(p.{k} AS VARCHAR) = CAST(f.{k} AS VARCHAR)" for k in SPELL_KEYS)
    cond = " OR ".join(
        f"CAST(p.{c} AS VARCHAR) IS DISTINCT FROM CAST(f.{c} AS VARCHAR)" for c in cols)
    total = con.execute("SELECT count(*) FROM ps").fetchone()[0]
    bad = con.execute(
        f"SELECT coalesce(p.person_id, f.person_id), coalesce(p.spell_start, f.spell_start), "
        f"{', '.join(f'p.{c}, f.{c}' for c in cols)} "
        f"FROM ps p FULL OUTER JOIN fs f ON {on} "
        f"WHERE p.person_id IS NULL OR f.person_id IS NULL OR {cond} ORDER BY 1, 2").fetchall()
    print(f"{'spells':17} peer rows {total:7}  different {len(bad):5}")
    for b in bad[:show]:
        print(f"    {b}")
    return len(bad)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--peer", type=Path, required=True, help="output folder of peer_duckdb.py")
    ap.add_argument("--report", type=Path, required=True, help="forloeb's report folder")
    ap.add_argument("--spells", type=Path, help="person-level spells from `forloeb spells`")
    ap.add_argument("--rel", type=float, default=1e-9, help="relative tolerance for floats")
    ap.add_argument("--show", type=int, default=10, help="differences listed per table")
    args = ap.parse_args()

    con = duckdb.connect()
    tables = args.report / "tables"
    if not tables.is_dir():
        print(f"{args.report}: no tables/ folder; give a report folder written by forloeb run")
        return 2
    different = 0
    seen = 0
    for name, (keys, scope) in TABLES.items():
        peer_file = args.peer / f"{name}.parquet"
        if not peer_file.exists():
            continue
        seen += 1
        report_file = tables / f"{name}.parquet"
        if not report_file.exists():
            print(f"{name}: not in the report ({report_file})")
            different += 1
            continue
        different += compare_table(con, name, peer_file, report_file, keys, scope, args.rel,
                                   args.show)["different"]
    if args.spells:
        peer_spells = args.peer / "spells.parquet"
        if not peer_spells.exists():
            print(f"{peer_spells}: missing; run peer_duckdb.py with --spells")
            different += 1
        else:
            different += compare_spells(con, peer_spells, args.spells, args.show)
    if seen == 0:
        print(f"{args.peer}: no peer tables found")
        return 2
    print("all published cells equal" if different == 0 else f"{different} cells differ")
    return 0 if different == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
