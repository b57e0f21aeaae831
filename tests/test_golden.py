"""Every golden input gets exactly its recorded JSON answer (tests/golden_support.py).

Guards speed work on the engine: same verdicts, codes, scores, messages and bytes. After a
deliberate change of behaviour or of the registry, rewrite the file with
`python tests/golden_support.py` and review the diff of the answers.
"""

from __future__ import annotations

import golden_support
import pytest

from verifier.engine import answer, evaluate, to_json

GOLDEN = golden_support.read()
INPUTS = list(golden_support.inputs())


def test_golden_inputs_are_the_recorded_ones():
    assert [key for key, *_ in INPUTS] == list(GOLDEN)


@pytest.mark.parametrize("n", range(0, len(INPUTS), 50), ids=lambda n: f"from-{n}")
def test_answers_are_byte_identical(registry, n):
    """Both ways out of the engine: the pydantic model (`evaluate`, the CLI) and the dict the
    service serialises itself (`answer` + `to_json`), which must also equal the model's dump."""
    for i in range(n, min(n + 50, len(INPUTS))):
        key, req, lang, net = INPUTS[i]
        ev = golden_support.evidence(req, net, registry)
        model = evaluate(ev, registry, lang, f"golden-{i}")
        assert golden_support.masked(model.model_dump_json(), registry) == GOLDEN[key], key
        fast = answer(ev, registry, lang, f"golden-{i}")
        assert golden_support.masked(to_json(fast).decode(), registry) == GOLDEN[key], key
        assert fast == model.model_dump(mode="json"), key
