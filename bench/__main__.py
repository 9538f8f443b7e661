"""`python -m bench`: the X12 codec benchmark (see bench/x12_bench.py for options), then the EDIFACT
one with the same options (bench/edifact_bench.py)."""

from bench import edifact_bench
from bench.x12_bench import main

raise SystemExit(main() or edifact_bench.main())
