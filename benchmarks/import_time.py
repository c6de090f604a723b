"""How light is `import plexus_datasets`?

Prints the import time of plexus_datasets next to a baseline (`import json`)
measured the same way in the same run, and the heavy modules it pulled in
(there should be none). Each figure is the median of several fresh
interpreters. Run: python benchmarks/import_time.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

HEAVY = ["pandas", "plotly", "ipywidgets", "gql", "boto3", "duckdb", "sqlalchemy", "numpy", "pyarrow"]
RUNS = 7

PROBE = """
import sys, time
t = time.perf_counter()
import {module}
elapsed = time.perf_counter() - t
print(__import__("json").dumps({{"seconds": elapsed,
    "heavy": sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))}}))
"""


def measure(module: str) -> tuple[float, list[str]]:
    times, heavy = [], set()
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(module=module, heavy=HEAVY)],
            capture_output=True, text=True, check=True,
        )
        data = json.loads(out.stdout)
        times.append(data["seconds"])
        heavy.update(data["heavy"])
    return statistics.median(times), sorted(heavy)


def main() -> int:
    base, _ = measure("json")
    ours, heavy = measure("plexus_datasets")
    print(f"import json (baseline):   {base * 1000:7.2f} ms (median of {RUNS})")
    print(f"import plexus_datasets:   {ours * 1000:7.2f} ms (median of {RUNS})")
    print(f"heavy modules pulled in:  {', '.join(heavy) if heavy else 'none'}  (checked: {', '.join(HEAVY)})")
    return 1 if heavy else 0


if __name__ == "__main__":
    sys.exit(main())
