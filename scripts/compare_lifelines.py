#!/usr/bin/env python3
"""Check forloeb's Kaplan–Meier figures against an independent implementation (lifelines).

For every published cell of `duration_cohorts` (level × unit × entry year × group), fit
lifelines' KaplanMeierFitter on the same spells and compare S(h), its log-log interval
(lifelines' default "exponential Greenwood" interval is the formula of MEASURES.md §3) and the
median. Spells come from `forloeb spells`, which writes the person-level spell table outside
reports/.

    pip install lifelines pyarrow pandas
    cargo run --release -- run
    cargo run --release -- spells --out /tmp/spells.parquet
    python3 scripts/compare_lifelines.py --report reports/2024 --spells /tmp/spells.parquet

Exit status 0 when every compared value agrees to within --tolerance (default 1e-9).
"""

import argparse
import math
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from lifelines import KaplanMeierFitter

ROOT = Path(__file__).resolve().parent.parent


def cohorts_of(spells: pd.DataFrame, peers: dict):
    """Yields ((level, unit, entry_year, group), spells of that cohort) for every cohort."""
    spells = spells[~spells["left_censored"]].copy()
    spells["entry_year"] = pd.to_datetime(spells["spell_start"]).dt.year
    spells["unit_municipality"] = spells["municipality"].astype(str)
    spells["unit_peer_group"] = spells["municipality"].map(peers)
    spells["unit_national"] = "DK"
    for level, unit_col in [
        ("municipality", "unit_municipality"),
        ("peer_group", "unit_peer_group"),
        ("national", "unit_national"),
    ]:
        for (unit, year), part in spells.groupby([unit_col, "entry_year"]):
            yield (level, unit, year, "all"), part
            for group, sub in part.groupby("group_at_entry"):
                yield (level, unit, year, group), sub


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--report", type=Path, default=ROOT / "reports" / "2024")
    ap.add_argument("--spells", type=Path, required=True)
    ap.add_argument("--tolerance", type=float, default=1e-9)
    args = ap.parse_args()

    cohorts = pq.read_table(args.report / "tables" / "duration_cohorts.parquet").to_pandas()
    spells = pq.read_table(args.spells).to_pandas()
    munis = pd.read_csv(ROOT / "data" / "municipalities.csv")
    peers = dict(zip(munis["code"], munis["peer_group"]))
    horizons = sorted(
        int(c[2:]) for c in cohorts.columns if c.startswith("s_") and c[2:].isdigit()
    )
    published = cohorts.set_index(["level", "unit", "entry_year", "group"])

    compared, worst, failures, bare_median_differs = 0, 0.0, [], 0
    for key, part in cohorts_of(spells, peers):
        if key not in published.index:
            continue
        row = published.loc[key]
        kmf = KaplanMeierFitter(alpha=0.05)
        kmf.fit(part["duration_days"], event_observed=part["closed"])
        sf = kmf.survival_function_["KM_estimate"]
        ci = kmf.confidence_interval_survival_function_
        for h in horizons:
            ours = row[f"s_{h}"]
            if pd.isna(ours):
                continue
            at = sf.index[sf.index <= h].max()
            theirs = {
                f"s_{h}": sf.loc[at],
                f"s_{h}_lo": ci.loc[at].iloc[0],
                f"s_{h}_hi": ci.loc[at].iloc[1],
            }
            for col, value in theirs.items():
                mine = row[col]
                if pd.isna(mine) and (pd.isna(value) or math.isnan(value)):
                    continue
                diff = abs(float(mine) - float(value))
                compared += 1
                worst = max(worst, diff)
                if not diff <= args.tolerance:
                    failures.append((key, col, mine, value))
        if not pd.isna(row["median_days"]):
            # MEASURES.md: the smallest t with S(t) <= 0.5 + 1e-9. lifelines' own
            # median_survival_time_ uses a bare <= 0.5, which misses S = 1/2 computed as
            # 0.5000000000000001; count those separately.
            below = sf.index[sf.values <= 0.5 + 1e-9]
            theirs = float(below.min()) if len(below) else math.inf
            compared += 1
            if float(row["median_days"]) != theirs:
                failures.append((key, "median_days", row["median_days"], theirs))
            if float(row["median_days"]) != float(kmf.median_survival_time_):
                bare_median_differs += 1

    print(f"compared {compared} published values; largest absolute difference {worst:.3e}")
    print(
        f"{bare_median_differs} medians differ from lifelines' median_survival_time_ only "
        "because it compares S <= 0.5 without the 1e-9 allowance"
    )
    for f in failures[:20]:
        print("DIFFERS", f)
    return 1 if failures or compared == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
