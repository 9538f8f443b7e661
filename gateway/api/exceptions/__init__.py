"""The exception queue: list, read with history, acknowledge, resolve, add notes."""
