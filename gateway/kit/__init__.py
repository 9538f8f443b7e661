"""Domain-free helpers: ids, clocks, decimals."""
