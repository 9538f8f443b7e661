"""The partner registry: `partners/*.yaml` loaded, validated and indexed by envelope identifiers."""
