"""Operations: dead letters, the audit log, replays and configuration reloads (internal)."""
