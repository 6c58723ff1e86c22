"""Property tests: no input makes the correction loader or the log readers raise anything
but farm's own one-line errors."""

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from farm import model
from farm.errors import FarmError

FRAGMENTS = st.sampled_from([
    b'{"type":"assistant","sessionId":"s","requestId":"r","timestamp":"2026-01-01T00:00:00Z",',
    b'"message":{"id":"m","model":"claude-sonnet-4-5","usage":{"input_tokens":',
    b'"output_tokens":-5', b'"cache_read_input_tokens":"many"', b'}}}', b'null', b'[1,2]', b'\xff\xfe',
    b'\x00\x00', b'"\\ud800"', b'{"timestamp":"x","type":"event_msg","payload":{"type":"token_count","info":',
    b'{"total_token_usage":{"input_tokens":10,"cached_input_tokens":20}}', b'"payload":null', b'9' * 30,
])
LINES = st.lists(st.one_of(st.binary(max_size=200), st.lists(FRAGMENTS, max_size=8).map(b"".join)), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=600))
def test_correction_loader_only_raises_invalid_correction(text):
    for candidate in (text, "---\n" + text, "---\n" + text + "\n---\n## What went wrong\n\nx\n## Rule\n\ny\n"):
        try:
            model.parse_correction(candidate, "f.md")
        except FarmError:
            pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_event_loader_only_raises_farm_errors(text):
    for candidate in (text, json.dumps({"type": "miss", "correction": text, "at": text})):
        try:
            model.parse_event(candidate, "e.json")
        except FarmError:
            pass


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LINES, st.sampled_from(["5f0c1d2e-0000-4000-8000-000000000001.jsonl",
                               "rollout-2026-01-01T00-00-00-019a0000-0000-7000-8000-000000000001.jsonl"]))
def test_log_readers_never_raise_on_garbage(lines, name):
    from farm.sessions import read_session

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(b"\n".join(lines))
        try:
            read_session(path)
        except FarmError:
            pass
