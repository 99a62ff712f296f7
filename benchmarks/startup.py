"""Start-up: `--help` against `python -c pass`, first screen against a bare Textual app."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = 7


def median_seconds(command: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=HERE.parent)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def compare(label: str, ours: list[str], baseline: list[str], baseline_label: str) -> None:
    base = median_seconds(baseline)
    mine = median_seconds(ours)
    print(f"{label:<28} {mine * 1000:8.1f} ms   {baseline_label:<28} {base * 1000:8.1f} ms"
          f"   ratio {mine / base:5.2f}")


def main() -> None:
    python = sys.executable
    print(f"median of {RUNS} runs each, same machine, same run")
    compare("xmpp-onboard --help", [python, "-m", "onboard", "--help"],
            [python, "-c", "pass"], "python -c pass")
    compare("first screen (onboard)", [python, str(HERE / "_first_screen.py"), "onboard"],
            [python, str(HERE / "_first_screen.py"), "bare"], "first screen (bare Textual)")


if __name__ == "__main__":
    main()
