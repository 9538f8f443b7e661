"""Documents with their trace (processing steps, events), and the raw bytes of receipts."""
