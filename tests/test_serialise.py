"""engine.to_json writes exactly what pydantic's serialiser writes, whatever the strings and
numbers in an answer: the endpoint's bytes are the VerifyResponse model's JSON."""

from __future__ import annotations

import pydantic_core
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.engine import to_json

# Any text a notice, a registry message or evidence can hold (no lone surrogates: requests with
# one are refused), control characters, quotes and backslashes included.
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
_SCALAR = st.none() | st.booleans() | st.integers(-10**12, 10**12) | \
    st.floats(allow_nan=False, allow_infinity=False) | _TEXT
_VALUE = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(_TEXT, inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_TEXT, _VALUE, max_size=6))
def test_same_bytes_as_pydantic(answer):
    assert to_json(answer) == pydantic_core.to_json(answer)


def test_lone_surrogate_is_refused_by_both():
    answer = {"evidence": [{"value": "a\ud800b"}]}
    with pytest.raises(TypeError):
        to_json(answer)
    with pytest.raises(pydantic_core.PydanticSerializationError):
        pydantic_core.to_json(answer)
