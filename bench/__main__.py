"""`python -m bench`: the X12 codec benchmark (see bench/x12_bench.py for options)."""

from bench.x12_bench import main

raise SystemExit(main())
