#!/usr/bin/env python3
"""Time `forloeb run` on synthetic extracts of growing size and print how time and memory grow.

For each size N it uses (or writes, with `forloeb synth --persons N --seed S --format parquet`)
the extract DIR/sN, runs `forloeb run --extract DIR/sN --out <tmp>` --runs times under
`/usr/bin/time -v`, and takes the median wall time and median peak RSS ("Maximum resident set
size"). The growth per 10x persons between consecutive sizes a < b is (y_b / y_a) **
(1 / log10(b / a)): 10 means linear, 100 quadratic.

    python3 scripts/growth.py --dir /tmp/growth --sizes 100000 300000 1000000 5000000 [--runs 3]

Prints a Markdown table (the README's growth table).
"""

import argparse
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peer import ROOT, gib, timed  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", type=Path, required=True, help="where the extracts are (or go)")
    ap.add_argument("--sizes", type=int, nargs="+",
                    default=[100_000, 300_000, 1_000_000, 5_000_000])
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--forloeb", type=Path, default=ROOT / "target" / "release" / "forloeb")
    args = ap.parse_args()
    forloeb = args.forloeb.resolve()
    rows = []
    for n in args.sizes:
        extract = args.dir.resolve() / f"s{n}"
        if not extract.exists():
            subprocess.run([forloeb, "synth", "--persons", str(n), "--seed", str(args.seed),
                            "--format", "parquet", "--out", extract], check=True,
                           capture_output=True)
        walls, peaks = [], []
        for _ in range(args.runs):
            work = Path(tempfile.mkdtemp(prefix="growth-"))
            try:
                wall, rss, _, _ = timed([forloeb, "run", "--extract", extract, "--out",
                                         work / "report"], cwd=work)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            walls.append(wall)
            peaks.append(rss)
        rows.append((n, statistics.median(walls), statistics.median(peaks)))
        print(f"{n:>10,} persons: {rows[-1][1]:.1f} s, {gib(rows[-1][2])}", file=sys.stderr)

    def per_10x(i, k):
        (a, ya), (b, yb) = (rows[i - 1][0], rows[i - 1][k]), (rows[i][0], rows[i][k])
        return (yb / ya) ** (1 / math.log10(b / a))

    print("| persons | wall time | peak RSS | time growth per 10x persons | memory growth per 10x |")
    print("|---|---|---|---|---|")
    for i, (n, wall, rss) in enumerate(rows):
        growth = ("", "") if i == 0 else (f"{per_10x(i, 1):.1f}x", f"{per_10x(i, 2):.1f}x")
        print(f"| {n:,} | {wall:.1f} s | {gib(rss)} | {growth[0]} | {growth[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
