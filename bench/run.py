"""`make bench`: every benchmark under bench/, one after the other."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

failed = []
for script in sorted(HERE.glob("*.py")):
    if script.name.startswith("_") or script.name == "run.py":
        continue
    print(f"\n##### {script.name}", flush=True)
    if subprocess.run([sys.executable, str(script)], cwd=HERE).returncode != 0:
        failed.append(script.name)
if failed:
    print(f"\nfailed: {', '.join(failed)}")
    sys.exit(1)
