"""The only code that composes the pure core with the store, channels and queue.

`translate` (no database), `ingest` (receive, process, acknowledge), `erp` (import orders and
demand), `outbound` (850s to partners) and `correlate` (ledger and exceptions). Worker tasks, the
API and the CLI all call these functions, so inline and queued modes run the same code.
"""
