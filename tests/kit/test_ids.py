"""Document ids: the UUID 5 of the receipt's hash and the document's place, whatever the order asked."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from gateway.kit import ids


@given(st.lists(st.tuples(st.sampled_from(["a" * 64, "0f" * 32, "é"]), st.integers(0, 10**12)), max_size=20))
def test_document_ids_are_the_uuid5_of_hash_and_ordinal(asked: list[tuple[str, int]]) -> None:
    for sha, ordinal in asked:
        want = str(uuid.uuid5(ids._NAMESPACE, f"document:{sha}:{ordinal}"))
        assert ids.document_id(sha, ordinal) == want
