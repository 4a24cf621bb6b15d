"""The catalog table of issue 19 from bench/run.py results: every path at both sizes, cache on and off.

    python bench/compare.py --run 25k:off=a.json --run 25k:on=b.json --run 100k:off=c.json --run 100k:on=d.json

For each path: req/s, % of /ping (same round, medians), p50 and p99 per run, then the growth from the first
size to the second with the cache off: p50 and CPU ms per request at the larger size over the smaller
(1.0 = flat; the issue's target is at most 1.3). `bench/catalog.sh` writes the four files and calls this.
"""

from __future__ import annotations

import argparse
import json
import sys


def load(spec: str) -> tuple[str, dict]:
    name, _, path = spec.partition("=")
    with open(path, encoding="utf-8") as file:
        return name, {row["path"]: row for row in json.load(file)["results"]}


def ratio(big, small) -> str:
    return f"{big / small:.2f}x" if big is not None and small else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", action="append", required=True, help="SIZE:CACHE=results.json, repeatable")
    args = parser.parse_args(argv)
    runs = dict(load(spec) for spec in args.run)
    paths = list(dict.fromkeys(path for rows in runs.values() for path in rows))
    sizes = list(dict.fromkeys(name.split(":")[0] for name in runs))
    for name, rows in runs.items():
        print(f"\n{name}")
        print(f"  {'path':<44} {'req/s':>8} {'% ping':>7} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms':>7}")
        for path in paths:
            row = rows.get(path)
            if row is None:
                continue
            print(f"  {path[:44]:<44} {row['rps']:>8.1f} {row['pct_of_ping'] or 0:>7.1f} {row['p50_ms'] or 0:>8.2f} "
                  f"{row['p99_ms'] or 0:>8.2f} {row.get('cpu_ms') or 0:>7.2f}")
    if len(sizes) >= 2:
        small, big = f"{sizes[0]}:off", f"{sizes[-1]}:off"
        if small in runs and big in runs:
            print(f"\ngrowth {sizes[0]} -> {sizes[-1]}, cache off (larger / smaller)")
            print(f"  {'path':<44} {'p50':>7} {'CPU ms':>7} {'% ping':>7}")
            for path in paths:
                a, b = runs[small].get(path), runs[big].get(path)
                if a and b:
                    print(f"  {path[:44]:<44} {ratio(b['p50_ms'], a['p50_ms']):>7} "
                          f"{ratio(b.get('cpu_ms'), a.get('cpu_ms')):>7} "
                          f"{ratio(a['pct_of_ping'], b['pct_of_ping']):>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
