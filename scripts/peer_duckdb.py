#!/usr/bin/env python3
"""Peer of forloeb in DuckDB SQL: a quarter of the pipeline, computed independently.

On any extract folder (docs/DATA.md) it computes, as of the reference date R = the last day of
the report period P (docs/MEASURES.md, general conventions):

- the benefit spells (§1);
- `stock_duration` (stock on R by duration band) and `fte` (full-time persons in P) at the three
  levels — municipality, peer group (data/municipalities.csv, DST's kommunegrupper) and the
  country — for every group and `all` (§3);
- the national Kaplan–Meier rows of `duration_cohorts`: spells, persons, events, censored,
  median and S(h) with its log-log interval at every horizon, per entry year and group (§3);
- the indicators `activation_rate`, `first_meeting_7d` and `passive_12m` at the three levels
  (§4).

Raw values only: no disclosure control (§7). Python only glues the SQL together; every figure is
computed by DuckDB. The configuration is the default of MEASURES.md §0 (forloeb's when no
forloeb.toml is given). Output: one Parquet file per table in --out (columns as §8, without
`suppressed`) and `timings.json` (seconds per step).

    python3 scripts/peer_duckdb.py --extract data-sample --out /tmp/peer [--threads 2] [--year Y]
"""

import argparse
import datetime as dt
import json
import os
import sys
import time
import tomllib
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
MUNICIPALITIES = ROOT / "data" / "municipalities.csv"

# MEASURES.md §0, the defaults.
TARGET_BENEFITS = ["kontanthjaelp"]
GAP_DAYS = 28
HORIZONS = [91, 183, 365, 730, 1096]
ENTRY_GROUP_WINDOW = 30
ACTIVATION_KINDS = ["virksomhedspraktik", "loentilskud", "vejledning_opkvalificering", "nytteindsats"]
SUPPORT_KINDS = ACTIVATION_KINDS + ["mentor"]
Z = 1.959963984540054  # confidence 0.95
# Assessment groups (DATA.md) as small integer codes in alphabetical order, so that the smallest
# code is the alphabetically first group (ties on a date, MEASURES.md); `unknown` (no assessment)
# gets the code after them. Labels are restored in the output tables.
GROUPS = sorted(["jobparat", "aktivitetsparat", "uddannelsesparat", "aabenlyst_uddannelsesparat"])
UNKNOWN = len(GROUPS)
EPOCH = "DATE '1800-01-01'"  # day numbers for the as-of keys below stay positive
# §1.6 duration bands: (label, largest k = |[spell_start, d]| in the band).
BANDS = [("0-6m", 182), ("6-12m", 365), ("1-2y", 730), ("2-3y", 1095), ("3-5y", 1826), ("5y+", None)]

TABLES = {
    "persons": {"person_id": "VARCHAR", "exit_date": "DATE"},
    "benefit_periods": {"person_id": "VARCHAR", "benefit": "VARCHAR", "start": "DATE",
                        "end": "DATE", "municipality": "INTEGER"},
    "assessments": {"person_id": "VARCHAR", "date": "DATE", "group": "VARCHAR"},
    "interventions": {"person_id": "VARCHAR", "kind": "VARCHAR", "start": "DATE", "end": "DATE"},
    "meetings": {"person_id": "VARCHAR", "date": "DATE", "status": "VARCHAR"},
}


def sql_list(values):
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def lit_path(p) -> str:
    return "'" + str(p).replace("'", "''") + "'"


def lit_date(d: dt.date) -> str:
    return f"DATE '{d.isoformat()}'"


def source(extract: Path, table: str) -> str:
    """A DuckDB table expression reading `table` as DATA.md places it: <table>.csv,
    <table>.parquet or a folder <table>/ of Parquet parts (hive partitions allowed; files
    starting with `_` or `.` ignored)."""
    forms = [p for p in (extract / f"{table}.csv", extract / f"{table}.parquet", extract / table)
             if p.exists()]
    if len(forms) != 1:
        sys.exit(f"{extract}: table {table} must be given in exactly one form "
                 f"({table}.csv, {table}.parquet or {table}/), found {len(forms)}")
    path = forms[0]
    cols = TABLES[table]
    if path.is_dir():
        parts = sorted(
            str(Path(root) / f)
            for root, dirs, files in os.walk(path)
            for f in files
            if not f.startswith((".", "_"))
            and not any(part.startswith((".", "_")) for part in Path(root).relative_to(path).parts)
        )
        files = "[" + ", ".join(lit_path(p) for p in parts) + "]"
        rel = f"read_parquet({files}, hive_partitioning = true, union_by_name = true)"
    elif path.suffix == ".parquet":
        rel = f"read_parquet({lit_path(path)})"
    else:
        types = "{" + ", ".join(f"'{c}': '{t}'" for c, t in cols.items()) + "}"
        rel = (f"read_csv({lit_path(path)}, header = true, auto_detect = true, types = {types}, "
               f"dateformat = '%Y-%m-%d')")
    # Only the columns the peer needs, cast to the contract's types. CSV text is trimmed of
    # whitespace and an empty cell is null (CHOICES.md); Parquet text is taken as stored, since
    # trimming every id costs more than a typed writer's output is worth (docs/PEER.md).
    exprs = []
    for c, t in cols.items():
        if t == "VARCHAR" and rel.startswith("read_csv"):
            exprs.append(f"nullif(regexp_replace(\"{c}\", '^\\s+|\\s+$', '', 'g'), '') "
                         f"AS \"{c}\"")
        elif t == "VARCHAR":
            exprs.append(f"CAST(\"{c}\" AS VARCHAR) AS \"{c}\"")
        else:
            exprs.append(f"CAST(\"{c}\" AS {t}) AS \"{c}\"")
    return f"(SELECT {', '.join(exprs)} FROM {rel})"


def bounds(con, extract: Path, src):
    """X and E from extract.toml, else guessed as DATA.md says."""
    given = {}
    toml = extract / "extract.toml"
    if toml.exists():
        with open(toml, "rb") as f:
            given = tomllib.load(f)
    x, e = given.get("extract_start"), given.get("extract_end")
    x, e = (dt.date.fromisoformat(v) if isinstance(v, str) else v for v in (x, e))
    if x is None:
        x = con.execute(f"SELECT min(start) FROM {src['benefit_periods']}").fetchone()[0]
    if e is None:
        e = con.execute(f"""
            SELECT greatest(
              (SELECT greatest(max(start), max("end")) FROM {src['benefit_periods']}),
              (SELECT max(date) FROM {src['assessments']}),
              (SELECT greatest(max(start), max("end")) FROM {src['interventions']}),
              (SELECT max(date) FROM {src['meetings']}))""").fetchone()[0]
    return x, e


def period(x: dt.date, e: dt.date, year):
    """P: --year Y, else the last calendar year wholly inside [X, E] (MEASURES.md §0)."""
    if year is None:
        year = e.year if e == dt.date(e.year, 12, 31) else e.year - 1
        if dt.date(year, 1, 1) < x:
            sys.exit(f"no calendar year lies wholly inside {x}..{e}")
    p0, p1 = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if p0 < x or p1 > e:
        sys.exit(f"period {p0}..{p1} is not inside the extract {x}..{e}")
    return p0, p1


def levels(src: str, keys=(), sums=(), persons=()):
    """Pools a unit-level relation (`pid`, `mun`, `grp`, value columns) to the three levels,
    each for the row's group and for `all` (forloeb's `by_levels`); `keys` are further grouping
    columns. `sums` are (column, output) pairs summed; `persons` are (column or None, output)
    pairs counting the distinct persons with a positive sum of that column (None: every person
    of the cell). Distinct persons are counted without DISTINCT: each level is first grouped with
    the person in its key (each from the finer one before it), then the persons are counted."""
    k = "".join(f"{c}, " for c in keys)
    cols = sorted({c for c, _ in sums} | {c for c, _ in persons if c}) or ["one"]
    agg = ", ".join(f"sum({c}) AS {c}" for c in cols)
    pick = ", ".join(cols)
    outer = [f"CAST(sum({c}) AS BIGINT) AS {name}" for c, name in sums]
    outer += [f"count(*) FILTER ({c} > 0) AS {name}" if c else f"count(*) AS {name}"
              for c, name in persons]
    return f"""
        WITH u AS (SELECT {k}pid, mun, grp, {"1 AS one" if cols == ["one"] else pick}
                   FROM {src}),
        a AS (SELECT {k}u.pid, r.code, r.name, r.peer_group, u.grp, {agg}
              FROM u JOIN ref r ON u.mun = r.code GROUP BY ALL),
        b AS (SELECT {k}pid, code, name, peer_group, {agg} FROM a GROUP BY ALL),
        c AS (SELECT {k}pid, peer_group, grp, {agg} FROM a GROUP BY ALL),
        c2 AS (SELECT {k}pid, peer_group, {agg} FROM b GROUP BY ALL),
        d AS (SELECT {k}pid, grp, {agg} FROM c GROUP BY ALL),
        d2 AS (SELECT {k}pid, {agg} FROM c2 GROUP BY ALL),
        pooled AS (
          SELECT 'municipality' AS level, CAST(code AS VARCHAR) AS unit, name AS unit_name,
                 grp, {k}{pick} FROM a
          UNION ALL SELECT 'municipality', CAST(code AS VARCHAR), name, -1, {k}{pick} FROM b
          UNION ALL SELECT 'peer_group', peer_group, peer_group, grp, {k}{pick} FROM c
          UNION ALL SELECT 'peer_group', peer_group, peer_group, -1, {k}{pick} FROM c2
          UNION ALL SELECT 'national', 'DK', 'Danmark', grp, {k}{pick} FROM d
          UNION ALL SELECT 'national', 'DK', 'Danmark', -1, {k}{pick} FROM d2)
        SELECT level, unit, unit_name,
               CASE WHEN grp = -1 THEN 'all' ELSE {group_label("grp")} END AS "group",
               {k}{", ".join(outer)}
        FROM pooled GROUP BY level, unit, unit_name, grp{"".join(", " + c for c in keys)}
    """


def group_code(column: str) -> str:
    return "CASE " + " ".join(f"WHEN {column} = '{g}' THEN {i}" for i, g in enumerate(GROUPS)) + " END"


def group_label(column: str) -> str:
    return ("CASE " + " ".join(f"WHEN {column} = {i} THEN '{g}'" for i, g in enumerate(GROUPS))
            + f" WHEN {column} = {UNKNOWN} THEN 'unknown' END")


def asof_key(day: str, code: str) -> str:
    """As-of key of a group change point: day × 8 + (7 − code), so that of several decisions on
    one day the as-of join (largest key ≤ day × 8 + 7) takes the smallest code."""
    return f"(CAST({day} - {EPOCH} AS BIGINT) * 8 + (7 - {code}))"


def probe_key(day: str) -> str:
    return f"(CAST({day} - {EPOCH} AS BIGINT) * 8 + 7)"


def wilson(num: str, den: str) -> str:
    """Wilson score interval (forloeb's stats::wilson) as two SQL expressions."""
    p = f"({num}::DOUBLE / {den}::DOUBLE)"
    n = f"{den}::DOUBLE"
    z2 = f"({Z!r} * {Z!r})"
    centre = f"(({p} + {z2} / (2.0 * {n})) / (1.0 + {z2} / {n}))"
    half = (f"({Z!r} / (1.0 + {z2} / {n}) * sqrt({p} * (1.0 - {p}) / {n} "
            f"+ {z2} / (4.0 * {n} * {n})))")
    lo = f"CASE WHEN {num} = 0 THEN 0.0 ELSE {centre} - {half} END"
    hi = f"CASE WHEN {num} = {den} THEN 1.0 ELSE {centre} + {half} END"
    return lo, hi


class Profiled:
    """Prints the time of every statement (PEER_PROFILE=1), for finding slow queries."""

    def __init__(self, con):
        self.con = con

    def execute(self, query):
        t, c = time.perf_counter(), time.process_time()
        res = self.con.execute(query)
        head = " ".join(query.split())[:70]
        print(f"{time.perf_counter() - t:7.3f}s wall {time.process_time() - c:7.3f}s cpu  {head}",
              file=sys.stderr)
        return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--extract", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--year", type=int)
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 2GB")
    ap.add_argument("--spells", action="store_true",
                    help="also write the person-level spells (spells.parquet), for a check "
                         "against `forloeb spells`")
    args = ap.parse_args()

    t_start, c_start = time.perf_counter(), time.process_time()
    timings, cpu = {}, {}
    last = [t_start, c_start]

    def lap(step):
        now, now_cpu = time.perf_counter(), time.process_time()
        timings[step] = round(now - last[0], 3)
        cpu[step] = round(now_cpu - last[1], 3)
        last[0], last[1] = now, now_cpu

    args.out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(os.environ.get("PEER_DATABASE", ":memory:"))
    if os.environ.get("PEER_PROFILE"):
        con = Profiled(con)
    con.execute(f"SET threads = {args.threads}")
    con.execute("SET preserve_insertion_order = false")
    # DuckDB turns an ASOF join with a small probe side into a nested loop join, which is
    # quadratic here; the as-of joins below always want the sort-merge plan.
    con.execute("SET asof_loop_join_threshold = 0")
    if args.memory_limit:
        con.execute(f"SET memory_limit = '{args.memory_limit}'")
    src = {t: source(args.extract, t) for t in TABLES}
    x, e = bounds(con, args.extract, src)
    p0, p1 = period(x, e, args.year)
    r = p1  # R: every figure is as of R (MEASURES.md, general conventions)
    X, R, P0, P1 = lit_date(x), lit_date(r), lit_date(p0), lit_date(p1)
    p_days = (p1 - p0).days + 1
    out = args.out

    def write(table: str, query: str, order: str):
        con.execute(f"COPY ({query} ORDER BY {order}) TO {lit_path(out / (table + '.parquet'))} "
                    f"(FORMAT parquet, COMPRESSION zstd)")

    # ---------------------------------------------------------------- ingest: the extract as of R
    # Reference data: municipality code, name and peer group.
    con.execute(f"""CREATE TABLE ref AS SELECT CAST(code AS INTEGER) AS code, name, peer_group
                    FROM read_csv({lit_path(MUNICIPALITIES)}, header = true, all_varchar = true)""")
    # persons: a dense integer id; an exit_date after R does not exist yet.
    con.execute(f"""
        CREATE TABLE persons AS
        SELECT CAST(row_number() OVER () AS INTEGER) AS pid, person_id,
               CASE WHEN exit_date <= {R} THEN exit_date END AS exit_date
        FROM {src['persons']}""")
    # Target periods from max(start, X) to min(end ?? R, R, exit_date − 1), empty ones dropped;
    # `rs` = the start as reported (the "earliest period" of §1.3, CHOICES.md).
    con.execute(f"""
        CREATE TABLE tp AS
        SELECT pid, mun, rs, s, e FROM (
          SELECT p.pid, b.municipality AS mun, b.start AS rs,
                 greatest(b.start, {X}) AS s,
                 least(coalesce(b."end", {R}), {R}, coalesce(p.exit_date - 1, {R})) AS e
          FROM {src['benefit_periods']} b JOIN persons p ON b.person_id = p.person_id
          WHERE b.benefit IN ({sql_list(TARGET_BENEFITS)}) AND b.start <= {R})
        WHERE s <= e""")
    # group(d) as change points: assessments dated ≤ R and before exit; ties on a date: the
    # alphabetically first group, by the as-of key (no aggregation needed).
    con.execute(f"""
        CREATE TABLE gsteps AS
        SELECT pid, d, grp, {asof_key("d", "grp")} AS k FROM (
          SELECT p.pid, a.date AS d, CAST({group_code('a."group"')} AS TINYINT) AS grp
          FROM {src['assessments']} a JOIN persons p ON a.person_id = p.person_id
          WHERE a.date <= {R} AND (p.exit_date IS NULL OR a.date < p.exit_date))""")
    # Support interventions (activation kinds and mentor), cut like the periods.
    con.execute(f"""
        CREATE TABLE support AS
        SELECT pid, act, s, e FROM (
          SELECT p.pid, i.kind IN ({sql_list(ACTIVATION_KINDS)}) AS act,
                 greatest(i.start, {X}) AS s,
                 least(coalesce(i."end", {R}), {R}, coalesce(p.exit_date - 1, {R})) AS e
          FROM {src['interventions']} i JOIN persons p ON i.person_id = p.person_id
          WHERE i.kind IN ({sql_list(SUPPORT_KINDS)}) AND i.start <= {R})
        WHERE s <= e""")
    # Held meetings that a spell starting in P can see: dated in [P0, R], ≥ X, before exit.
    con.execute(f"""
        CREATE TABLE held AS
        SELECT p.pid, m.date AS d
        FROM {src['meetings']} m JOIN persons p ON m.person_id = p.person_id
        WHERE m.status = 'held' AND m.date >= greatest({P0}, {X}) AND m.date <= {R}
          AND (p.exit_date IS NULL OR m.date < p.exit_date)""")
    lap("ingest")

    # ---------------------------------------------------------------- spells (§1)
    # Per person in order of (start, e) a period joins the current spell when
    # start ≤ reach + gap_days + 1, reach = the largest e so far.
    # Ordered by (start, reported start, municipality), the first period of a spell is the one
    # whose municipality the spell takes (§1.3, CHOICES.md: the earliest period as reported,
    # ties smallest code; a period running on X starts on X, so the earliest as reported is
    # always among those starting on spell_start). The merge itself does not depend on the
    # order of equal starts. `reach` before a spell's first period is the end of the previous
    # spell (spells are disjoint and ordered), and the last spell ends on the person's largest e.
    con.execute(f"""
        CREATE TABLE spells AS
        WITH o AS (
          SELECT pid, mun, s, e,
                 max(e) OVER (PARTITION BY pid ORDER BY s, rs, mun
                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach,
                 max(e) OVER (PARTITION BY pid) AS last_e
          FROM tp),
        f AS (
          SELECT pid, mun, s AS spell_start, reach, last_e FROM o
          WHERE reach IS NULL OR s > reach + {GAP_DAYS + 1}),
        m AS (
          SELECT pid, mun, spell_start,
                 coalesce(lead(reach) OVER (PARTITION BY pid ORDER BY spell_start), last_e)
                   AS spell_end,
                 {probe_key(f"spell_start + {ENTRY_GROUP_WINDOW}")} AS entry_key
          FROM f)
        SELECT m.pid, m.spell_start, m.spell_end,
               CAST(m.spell_end - m.spell_start + 1 AS INTEGER) AS duration_days, m.mun,
               m.spell_start <= {X} + {GAP_DAYS} AS left_censored,
               m.spell_end + {GAP_DAYS + 1} <= {R}
                 AND (p.exit_date IS NULL OR p.exit_date > m.spell_end + {GAP_DAYS + 1}) AS closed,
               coalesce(g.grp, {UNKNOWN}) AS group_at_entry
        FROM m JOIN persons p ON m.pid = p.pid
        ASOF LEFT JOIN gsteps g ON m.pid = g.pid AND m.entry_key >= g.k""")
    lap("spells")

    # ---------------------------------------------------------------- stock on R and fte (§3)
    # Stock on R: persons with a target period covering R (as cut at R: e = R); municipality of
    # such a period (smallest code); their spell is the one ending on R; group = group(R).
    con.execute(f"""
        CREATE TABLE stock AS
        WITH c AS (
          SELECT t.pid, t.mun, sp.spell_start
          FROM (SELECT pid, min(mun) AS mun FROM tp WHERE e = {R} GROUP BY pid) t
          JOIN spells sp ON sp.pid = t.pid AND sp.spell_end = {R})
        SELECT c.pid, c.mun, c.spell_start, CAST({R} - c.spell_start + 1 AS INTEGER) AS days_on,
               coalesce(g.grp, {UNKNOWN}) AS grp
        FROM c LEFT JOIN (
          -- every change point is dated ≤ R: group(R) is the one with the largest as-of key
          SELECT g.pid, arg_max(g.grp, g.k) AS grp
          FROM gsteps g SEMI JOIN c ON g.pid = c.pid GROUP BY g.pid) g ON g.pid = c.pid""")
    band = "CASE " + " ".join(
        f"WHEN days_on <= {hi} THEN '{name}'" for name, hi in BANDS if hi is not None
    ) + f" ELSE '{BANDS[-1][0]}' END"
    band_order = "CASE duration_band " + " ".join(
        f"WHEN '{name}' THEN {i}" for i, (name, _) in enumerate(BANDS)) + " END"
    write("stock_duration",
          f"""SELECT * FROM ({levels(f"(SELECT pid, mun, grp, {band} AS duration_band FROM stock)",
                                     keys=["duration_band"],
                                     persons=[(None, "persons")])})""",
          f"level, unit, unit_name, \"group\", {band_order}")

    # Target person-days in P as pieces on which municipality (smallest code of a covering
    # target period), group(day) and activation are constant (forloeb's day pieces):
    # 1. the target periods clipped to P, merged per (person, municipality);
    # 2. every day where any of the three may change is a boundary: the starts and ends + 1 of
    #    the merged periods and of the activation interventions clipped to P, and assessment dates
    #    in P; consecutive boundaries delimit a piece;
    # 3. a piece takes the smallest municipality among the merged periods covering it (none:
    #    not a target day), activation when an activation intervention covers it, and group(day).
    con.execute(f"""
        CREATE TABLE tu AS
        WITH c AS (
          SELECT pid, mun, greatest(s, {P0}) AS s, least(e, {P1}) AS e
          FROM tp WHERE e >= {P0} AND s <= {P1}),
        o AS (
          SELECT *, max(e) OVER (PARTITION BY pid, mun ORDER BY s, e
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
          FROM c),
        n AS (
          SELECT *, sum(CASE WHEN reach IS NULL OR s > reach + 1 THEN 1 ELSE 0 END)
                      OVER (PARTITION BY pid, mun ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS k
          FROM o)
        SELECT pid, mun, min(s) AS s, max(e) AS e FROM n GROUP BY pid, mun, k""")
    con.execute(f"""
        CREATE TABLE act_p AS
        SELECT a.pid, greatest(a.s, {P0}) AS s, least(a.e, {P1}) AS e
        FROM support a SEMI JOIN (SELECT DISTINCT pid FROM tu) t ON a.pid = t.pid
        WHERE a.act AND a.e >= {P0} AND a.s <= {P1}""")
    con.execute(f"""
        CREATE TABLE pieces AS
        WITH who AS (SELECT DISTINCT pid FROM tu),
        gp AS (SELECT g.* FROM gsteps g SEMI JOIN who ON g.pid = who.pid),
        b AS (
          -- boundaries; `g` = the group from that day on where an assessment sets it (several
          -- on one day: the smallest code); P0 carries the group of the latest assessment ≤ P0
          SELECT pid, b, min(g) AS g FROM (
            SELECT pid, s AS b, NULL::TINYINT AS g FROM tu
            UNION ALL SELECT pid, e + 1, NULL FROM tu
            UNION ALL SELECT pid, s, NULL FROM act_p
            UNION ALL SELECT pid, e + 1, NULL FROM act_p
            UNION ALL SELECT pid, d, grp FROM gp WHERE d > {P0} AND d <= {P1}
            UNION ALL SELECT who.pid, {P0}, a.grp FROM who LEFT JOIN (
              SELECT pid, arg_max(grp, k) AS grp FROM gp WHERE d <= {P0} GROUP BY pid) a
              ON a.pid = who.pid)
          GROUP BY pid, b),
        seg AS (
          SELECT pid, b, lead(b) OVER w AS nb,
                 last_value(g IGNORE NULLS) OVER (w ROWS UNBOUNDED PRECEDING) AS grp
          FROM b WINDOW w AS (PARTITION BY pid ORDER BY b)),
        cov AS (
          SELECT seg.pid, seg.b, seg.nb, seg.grp, min(tu.mun) AS mun
          FROM seg JOIN tu ON seg.pid = tu.pid AND tu.s <= seg.b AND seg.b <= tu.e
          WHERE seg.nb IS NOT NULL
          GROUP BY ALL),
        act AS (
          SELECT DISTINCT cov.pid, cov.b
          FROM cov JOIN act_p a ON cov.pid = a.pid AND a.s <= cov.b AND cov.b <= a.e)
        SELECT cov.pid, cov.mun, coalesce(cov.grp, {UNKNOWN}) AS grp,
               CAST(cov.nb - cov.b AS BIGINT) AS days,
               CASE WHEN act.b IS NOT NULL THEN CAST(cov.nb - cov.b AS BIGINT) ELSE 0 END AS act_days
        FROM cov LEFT JOIN act ON cov.pid = act.pid AND cov.b = act.b""")
    write("fte",
          f"""SELECT level, unit, unit_name, "group", person_days,
                     person_days::DOUBLE / {p_days}.0 AS fte, persons
              FROM ({levels("pieces", sums=[("days", "person_days")],
                            persons=[(None, "persons")])})""",
          'level, unit, unit_name, "group"')
    lap("stock_fte")

    # ---------------------------------------------------------------- Kaplan–Meier (§3), national
    # Spells not left-censored by entry year and group at entry (and `all`); per cohort the
    # event table (duration, events, spells), the steps at every event time tᵢ with
    # nᵢ = #{duration ≥ tᵢ}: S = Π (1 − dᵢ/nᵢ) (as exp Σ ln, 0 from the first dᵢ = nᵢ on),
    # Greenwood V = Σ dᵢ/(nᵢ(nᵢ − dᵢ)).
    con.execute("""
        CREATE TABLE km_pop AS
        SELECT CAST(year(spell_start) AS INTEGER) AS entry_year, group_at_entry AS grp,
               duration_days AS t, closed, pid
        FROM spells WHERE NOT left_censored""")
    con.execute(f"""
        CREATE TABLE km_cohorts AS
        SELECT entry_year, grp, count(*) AS spells, count(DISTINCT pid) AS persons,
               count(*) FILTER (closed) AS events
        FROM km_pop GROUP BY entry_year, grp
        UNION ALL
        SELECT entry_year, -1, count(*), count(DISTINCT pid), count(*) FILTER (closed)
        FROM km_pop GROUP BY entry_year""")
    con.execute("""
        CREATE TABLE km_table AS
        WITH d AS (
          SELECT entry_year, CASE WHEN grouping(grp) = 0 THEN grp ELSE -1 END AS grp, t,
                 count(*) AS n_t, count(*) FILTER (closed) AS d_t
          FROM km_pop GROUP BY GROUPING SETS ((entry_year, grp, t), (entry_year, t)))
        SELECT *, sum(n_t) OVER (PARTITION BY entry_year, grp ORDER BY t DESC
                                 ROWS UNBOUNDED PRECEDING) AS n_at
        FROM d""")
    con.execute("""
        CREATE TABLE km_steps AS
        WITH e AS (
          SELECT entry_year, grp, t, n_at AS n, d_t AS d,
                 bool_or(d_t = n_at) OVER w AS zero,
                 sum(CASE WHEN d_t < n_at THEN ln((n_at - d_t)::DOUBLE / n_at::DOUBLE) END)
                   OVER w AS log_s,
                 sum(CASE WHEN d_t < n_at THEN d_t::DOUBLE / (n_at::DOUBLE * (n_at - d_t)::DOUBLE)
                     END) OVER w AS v
          FROM km_table WHERE d_t > 0
          WINDOW w AS (PARTITION BY entry_year, grp ORDER BY t ROWS UNBOUNDED PRECEDING))
        SELECT entry_year, grp, t,
               CASE WHEN zero THEN 0.0 ELSE exp(coalesce(log_s, 0.0)) END AS surv,
               CASE WHEN zero THEN NULL ELSE coalesce(log_s, 0.0) END AS log_s,
               coalesce(v, 0.0) AS v
        FROM e""")
    horizons = ", ".join(f"({h})" for h in HORIZONS)
    con.execute(f"""
        CREATE TABLE km_h AS
        WITH h AS (
          SELECT c.entry_year, c.grp, hz.h FROM km_cohorts c CROSS JOIN (VALUES {horizons}) hz(h)),
        ar AS (
          SELECT h.entry_year, h.grp, h.h,
                 coalesce(sum(k.n_t) FILTER (k.t >= h.h), 0) AS at_risk
          FROM h LEFT JOIN km_table k ON k.entry_year = h.entry_year AND k.grp = h.grp
          GROUP BY ALL),
        sv AS (
          SELECT ar.*, coalesce(st.surv, 1.0) AS surv, st.log_s, coalesce(st.v, 0.0) AS v,
                 st.t IS NULL AS no_step
          FROM ar ASOF LEFT JOIN km_steps st
            ON ar.entry_year = st.entry_year AND ar.grp = st.grp AND ar.h >= st.t)
        SELECT entry_year, grp, h,
               CASE WHEN surv = 0.0 OR at_risk > 0 THEN surv END AS s,
               CASE WHEN surv = 0.0 OR at_risk = 0 THEN NULL WHEN surv = 1.0 THEN 1.0
                    ELSE exp(-exp(ln(-log_s) + {Z!r} * (sqrt(v) / abs(log_s)))) END AS lo,
               CASE WHEN surv = 0.0 OR at_risk = 0 THEN NULL WHEN surv = 1.0 THEN 1.0
                    ELSE exp(-exp(ln(-log_s) - {Z!r} * (sqrt(v) / abs(log_s)))) END AS hi
        FROM sv""")
    s_cols = ", ".join(
        f"max(s) FILTER (h = {h}) AS s_{h}, max(lo) FILTER (h = {h}) AS s_{h}_lo, "
        f"max(hi) FILTER (h = {h}) AS s_{h}_hi" for h in HORIZONS)
    write("duration_cohorts", f"""
        SELECT 'national' AS level, 'DK' AS unit, 'Danmark' AS unit_name,
               c.entry_year,
               CASE WHEN c.grp = -1 THEN 'all' ELSE {group_label("c.grp")} END AS "group",
               c.spells, c.persons, c.events,
               c.spells - c.events AS censored, m.median_days, hz.* EXCLUDE (entry_year, grp)
        FROM km_cohorts c
        LEFT JOIN (SELECT entry_year, grp, CAST(min(t) AS INTEGER) AS median_days FROM km_steps
                   WHERE surv <= 0.5 + 1e-9 GROUP BY ALL) m
          ON m.entry_year = c.entry_year AND m.grp = c.grp
        LEFT JOIN (SELECT entry_year, grp, {s_cols} FROM km_h GROUP BY ALL) hz
          ON hz.entry_year = c.entry_year AND hz.grp = c.grp""",
          'level, unit, unit_name, entry_year, "group"')
    lap("km")

    # ---------------------------------------------------------------- indicators (§4)
    # Unit-level rows (pid, mun, grp, den, num) of each measure.
    # activation_rate: target person-days in P; of those, activation days (no interval).
    # first_meeting_7d: spells not left-censored starting in P with start + 6 ≤ R; a held
    #   meeting in [start, start + 6]. Municipality of the spell, group at entry.
    # passive_12m: stock on R with |[spell_start, R]| > 365; a run of > 365 consecutive days in
    #   [max(spell_start, X), R] without a support day (activation or mentor).
    con.execute(f"""
        CREATE TABLE ind_rows AS
        SELECT 'activation_rate' AS measure, pid, mun, grp, days AS den, act_days AS num
        FROM pieces
        UNION ALL
        SELECT 'first_meeting_7d', s.pid, s.mun, s.group_at_entry, 1,
               CASE WHEN EXISTS (SELECT 1 FROM held h WHERE h.pid = s.pid
                                 AND h.d BETWEEN s.spell_start AND s.spell_start + 6)
                    THEN 1 ELSE 0 END
        FROM spells s
        WHERE NOT s.left_censored AND s.spell_start BETWEEN {P0} AND {P1}
          AND s.spell_start + 6 <= {R}
        UNION ALL
        SELECT 'passive_12m', st.pid, st.mun, st.grp, 1,
               CASE WHEN coalesce(greatest(gp.inner_gap, gp.tail),
                                  {R} - greatest(st.spell_start, {X}) + 1) > 365 THEN 1 ELSE 0 END
        FROM stock st
        LEFT JOIN (
          SELECT pid, max(cs - coalesce(prev, w - 1) - 1) AS inner_gap, {R} - max(e) AS tail
          FROM (
            SELECT st.pid, greatest(a.s, greatest(st.spell_start, {X})) AS cs, a.e,
                   greatest(st.spell_start, {X}) AS w,
                   max(a.e) OVER (PARTITION BY st.pid ORDER BY greatest(a.s, greatest(st.spell_start, {X})), a.e
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
            FROM stock st JOIN support a ON a.pid = st.pid
            WHERE st.days_on > 365 AND a.e >= greatest(st.spell_start, {X}))
          GROUP BY pid) gp ON gp.pid = st.pid
        WHERE st.days_on > 365""")
    lo, hi = wilson("numerator", "denominator")
    write("indicators", f"""
        SELECT level, unit, unit_name, "group", measure, numerator, denominator,
               numerator::DOUBLE / denominator::DOUBLE AS value,
               CASE WHEN measure <> 'activation_rate' THEN {lo} END AS ci_lo,
               CASE WHEN measure <> 'activation_rate' THEN {hi} END AS ci_hi,
               persons, persons_num
        FROM ({levels("ind_rows", keys=["measure"],
                      sums=[("num", "numerator"), ("den", "denominator")],
                      persons=[("den", "persons"), ("num", "persons_num")])})
        WHERE denominator > 0""",
          'level, unit, unit_name, "group", measure')
    lap("indicators")

    if args.spells:
        write("spells", f"""
            SELECT p.person_id, s.spell_start, s.spell_end, s.duration_days,
                   s.mun AS municipality, s.left_censored, s.closed,
                   {group_label("s.group_at_entry")} AS group_at_entry
            FROM spells s JOIN persons p ON s.pid = p.pid""", "person_id, spell_start")
        lap("spells_out")

    timings["total"] = round(time.perf_counter() - t_start, 3)
    cpu["total"] = round(time.process_time() - c_start, 3)
    info = {"extract": str(args.extract), "extract_start": str(x), "extract_end": str(e),
            "period": f"{p0}..{p1}", "threads": args.threads, "duckdb": duckdb.__version__,
            "seconds": timings, "cpu_seconds": cpu}
    (out / "timings.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(timings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
