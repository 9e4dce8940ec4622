#!/usr/bin/env python3
"""Run forloeb and its DuckDB peer on the same extract and print their times and peak memory.

Runs `forloeb run --extract DIR --out <tmp>` and `scripts/peer_duckdb.py --extract DIR --out
<tmp>` alternately, each --runs times under `/usr/bin/time -v`, takes the median wall time and
the median peak RSS ("Maximum resident set size") of each, runs `scripts/compare_peer.py` once on
the last pair of outputs, and prints both side by side with the ratios forloeb / peer against the
goals of issue 15 (forloeb within 4x the peer's time and 2.5x its peak RSS). The peer does a
quarter of forloeb's work (see docs/PEER.md), so the ratios compare a whole run with a partial
one on purpose.

    python3 scripts/bench_peer.py --extract /tmp/s1m [--runs 3] [--forloeb target/release/forloeb]

Exit status: 0 when compare_peer finds every published cell equal, 1 otherwise (the goals are
reported, not enforced). `--no-forloeb` times the peer alone.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIME_GOAL, RSS_GOAL = 4.0, 2.5
STEPS = ["ingest", "spells", "stock_fte", "km", "indicators", "total"]


def timed(cmd, cwd):
    """Runs `cmd` under /usr/bin/time -v; returns (wall seconds, peak RSS bytes, CPU seconds
    (user + system), output)."""
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True,
                          text=True)
    err = proc.stderr
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
                 f"{proc.stdout[-2000:]}{err[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    cpu = sum(float(re.search(rf"{k} time \(seconds\): (\S+)", err).group(1))
              for k in ("User", "System"))
    return seconds, rss_kb * 1024, cpu, proc.stdout + err


def gib(b):
    return f"{b / 2**30:.2f} GiB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--extract", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--forloeb", type=Path, default=ROOT / "target" / "release" / "forloeb")
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads of the peer")
    ap.add_argument("--year", type=int, help="report year, passed to both")
    ap.add_argument("--no-forloeb", action="store_true", help="time the peer only")
    ap.add_argument("--keep", type=Path, help="keep the last outputs in this folder")
    args = ap.parse_args()

    extract = args.extract.resolve()
    forloeb = args.forloeb.resolve()
    if not args.no_forloeb and not forloeb.is_file():
        sys.exit(f"{forloeb}: no forloeb binary; build it (cargo build --release) or give "
                 f"--forloeb PATH")
    year = ["--year", str(args.year)] if args.year else []
    work = Path(tempfile.mkdtemp(prefix="bench-peer-"))
    runs = {"forloeb": [], "peer": []}
    steps = []
    try:
        for i in range(args.runs):
            if not args.no_forloeb:
                out = work / f"forloeb-{i}"
                # Run from the empty work folder: no ./forloeb.toml changes the configuration.
                w, rss, cpu, _ = timed([str(forloeb), "run", "--extract", str(extract),
                                        "--out", str(out), *year], cwd=work)
                runs["forloeb"].append((w, rss, cpu))
                print(f"run {i + 1}: forloeb {w:8.2f} s wall {cpu:8.2f} s CPU {gib(rss)}",
                      flush=True)
                if i < args.runs - 1:
                    shutil.rmtree(out)
            out = work / f"peer-{i}"
            w, rss, cpu, _ = timed([sys.executable, str(ROOT / "scripts" / "peer_duckdb.py"),
                                    "--extract", str(extract), "--out", str(out),
                                    "--threads", str(args.threads), *year], cwd=work)
            runs["peer"].append((w, rss, cpu))
            steps.append(json.loads((out / "timings.json").read_text())["seconds"])
            print(f"run {i + 1}: peer    {w:8.2f} s wall {cpu:8.2f} s CPU {gib(rss)}",
                  flush=True)
            if i < args.runs - 1:
                shutil.rmtree(out)

        last = args.runs - 1
        status = 0
        if not args.no_forloeb:
            print("\ncompare_peer (every peer cell against forloeb's published cell):")
            sys.stdout.flush()
            status = subprocess.run(
                [sys.executable, str(ROOT / "scripts" / "compare_peer.py"),
                 "--peer", str(work / f"peer-{last}"),
                 "--report", str(work / f"forloeb-{last}")]).returncode

        med = {k: tuple(statistics.median(x[j] for x in v) for j in range(3))
               for k, v in runs.items() if v}
        print(f"\nextract {extract}, {args.runs} run(s) each, medians "
              f"(/usr/bin/time -v; peer with {args.threads} DuckDB threads)")
        print("peer steps (median s): " + ", ".join(
            f"{s} {statistics.median(x.get(s, 0.0) for x in steps):.2f}" for s in STEPS))
        if args.no_forloeb:
            pw, pr, pc = med["peer"]
            print(f"peer: {pw:.2f} s wall, {pc:.2f} s CPU, {gib(pr)} peak RSS")
            return 0
        (fw, fr, fc), (pw, pr, pc) = med["forloeb"], med["peer"]
        rt, rr = fw / pw, fr / pr
        print(f"\n{'':14}{'forloeb':>12}{'peer':>12}{'forloeb/peer':>14}{'goal':>10}")
        print(f"{'wall time':14}{fw:>10.2f} s{pw:>10.2f} s{rt:>13.1f}x{'<= 4x':>10}"
              f"  {'met' if rt <= TIME_GOAL else 'not met'}")
        print(f"{'peak RSS':14}{gib(fr):>12}{gib(pr):>12}{rr:>13.1f}x{'<= 2.5x':>10}"
              f"  {'met' if rr <= RSS_GOAL else 'not met'}")
        print(f"{'CPU (u+s)':14}{fc:>10.2f} s{pc:>10.2f} s{fc / pc:>13.1f}x"
              f"{'':>10}  (for reference: wall time depends on the machine's load)")
        print("compare_peer: " + ("all published cells equal" if status == 0
                                  else "DIFFERENCES (see above)"))
        return 0 if status == 0 else 1
    finally:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in (f"forloeb-{args.runs - 1}", f"peer-{args.runs - 1}"):
                if (work / name).exists():
                    shutil.copytree(work / name, args.keep / name, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
