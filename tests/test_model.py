import pytest

from farm import model
from farm.errors import InvalidCorrection

GOOD = """---
id: agent-deletes-tests-a1b2c3
title: Agent deletes tests
kind: prompt
created: 2026-11-01T10:00:00Z
status: active
tags: [testing]
---

## What went wrong

It deleted tests.

## Rule

Never delete tests.

## Evidence

Session 42.
"""


def test_round_trip_keeps_every_field_and_extra_sections():
    c = model.parse_correction(GOOD, "x.md")
    assert c.tags == ["testing"] and c.rule == "Never delete tests." and "Session 42." in c.notes
    again = model.parse_correction(model.dump_correction(c), "x.md")
    assert again == c


@pytest.mark.parametrize("text, field", [
    (GOOD.replace("kind: prompt", "kind: poem"), "kind"),
    (GOOD.replace("id: agent-deletes-tests-a1b2c3\n", ""), "id"),
    (GOOD.replace("id: agent-deletes-tests-a1b2c3", "id: ../../etc"), "id"),
    (GOOD.replace("2026-11-01T10:00:00Z", "yesterday"), "created"),
    (GOOD.replace("## Rule\n\nNever delete tests.\n", ""), "rule"),
    (GOOD.replace("tags: [testing]", "tags: 3"), "tags"),
    (GOOD.replace("title: Agent deletes tests", "title: Agent deletes tests\ntitle: again"), "duplicate key"),
    (GOOD.replace("tags: [testing]", "a: &x [1]\nb: *x"), "aliases"),
    (GOOD.replace("tags: [testing]", "evil: !!python/object/apply:os.system ['touch /tmp/farm-pwned']"), "constructor"),
    ("no frontmatter at all", "frontmatter"),
    ("---\nid: x\n", "unclosed"),
])
def test_invalid_files_name_the_field(text, field):
    with pytest.raises(InvalidCorrection) as info:
        model.parse_correction(text, "corrections/x.md")
    message = str(info.value)
    assert message.startswith("corrections/x.md: ") and field in message and "\n" not in message


def test_bom_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "agent-deletes-tests-a1b2c3.md"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    assert model.load_correction(path).title == "Agent deletes tests"


def test_non_utf8_and_huge_files_are_refused(tmp_path):
    bad = tmp_path / "a.md"
    bad.write_bytes(b"---\ntitle: \xff\n---\n")
    with pytest.raises(InvalidCorrection, match="not UTF-8"):
        model.load_correction(bad)
    big = tmp_path / "b.md"
    big.write_text(GOOD + "x" * 2_000_000)
    with pytest.raises(InvalidCorrection, match="at most"):
        model.load_correction(big)


def test_ids_are_slugs_with_a_random_suffix():
    a, b = model.new_id("Draft drops the takeaway!"), model.new_id("Draft drops the takeaway!")
    assert a != b and a.startswith("draft-drops-the-takeaway-")
    assert model.ID_PATTERN.match(model.new_id("x" * 500))
    assert model.new_id("🔥").startswith("correction-")
    assert model.slugify("../../etc/passwd") == "etc-passwd"


def test_alias_bomb_is_refused_quickly():
    import time

    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)]
    text = "---\n" + "\n".join(lines) + "\n---\n"
    started = time.perf_counter()
    with pytest.raises(InvalidCorrection, match="aliases"):
        model.parse_correction(text, "bomb.md")
    assert time.perf_counter() - started < 30  # a hang guard: expanding the bomb would take minutes and gigabytes
