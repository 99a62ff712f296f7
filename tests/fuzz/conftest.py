"""Hypothesis profiles for the property tests in this folder.

Two profiles, chosen with the environment variable HYPOTHESIS_PROFILE:

- `ci` (the default): few examples, derandomized and without the example database, so every run
  tries the same inputs and a failure in CI can be reproduced exactly; the folder runs in a few
  seconds.
- `thorough`: many more random examples per test (see `budget` in tests/fuzz/strategies.py),
  with the example database in .hypothesis/ so that a failure found once is tried first next
  time. Run it before a release, or after changing a parser:

      HYPOTHESIS_PROFILE=thorough .venv/bin/pytest tests/fuzz

The profile applies to the tests in this folder only (through `fuzz_settings` in
tests/fuzz/strategies.py): it is registered here, not loaded, so the rest of the suite keeps
hypothesis' defaults.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.fuzz.strategies import PROFILE

_COMMON = settings(
    # Timing varies with the machine (and the first call of a codec); a slow example is not a bug.
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

settings.register_profile("ci", _COMMON, derandomize=True, database=None)
settings.register_profile("thorough", _COMMON)
if PROFILE not in ("ci", "thorough"):
    raise ValueError(f"HYPOTHESIS_PROFILE={PROFILE!r}: use ci or thorough")
