"""Print a constraints file from a pip --report (see the header of constraints.txt for the refresh recipe)."""
import json
import sys
from pathlib import Path

report = json.loads(Path(sys.argv[1]).read_text())
header = [line for line in Path(__file__).resolve().parents[1].joinpath("constraints.txt").read_text().splitlines()
          if line.startswith("#")]
pins = sorted((p["metadata"]["name"].lower(), p["metadata"]["version"]) for p in report["install"])
print("\n".join(header + [f"{n}=={v}" for n, v in pins]))
