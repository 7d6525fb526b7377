"""Run every benchmark in bench/ and print one table of their figures and targets (``make bench``).

Each script prints its own figures; every line that names a target (and says PASS or FAIL) becomes a row.

    python bench/run_all.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERDICT = re.compile(r"\b(PASS|FAIL)\b")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="script names (without .py) to run")
    args = parser.parse_args()
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    if args.only:
        scripts = [p for p in scripts if p.stem in args.only]
    rows: list[tuple[str, str, str]] = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        print(proc.stdout, end="")
        if proc.returncode != 0:
            rows.append((script.stem, f"exited with {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}",
                         "FAIL"))
            continue
        found = False
        for line in proc.stdout.splitlines():
            if "target" in line and VERDICT.search(line):   # a line may hold several targets: any FAIL fails it
                rows.append((script.stem, line.strip(), "FAIL" if "FAIL" in line else "PASS"))
                found = True
        if not found:
            rows.append((script.stem, f"(no target lines; ran {time.perf_counter() - t0:.0f} s)", "-"))
    width = max(len(r[0]) for r in rows) if rows else 10
    print("\n" + "=" * 100)
    print(f"{'benchmark':{width}}  verdict  figures")
    for name, text, verdict in rows:
        print(f"{name:{width}}  {verdict:7}  {text}")
    return 0 if all(r[2] != "FAIL" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
