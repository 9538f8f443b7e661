"""The event feed: canonical events after a cursor."""
