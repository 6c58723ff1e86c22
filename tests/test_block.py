import pytest

from farm.block import replace_block
from farm.errors import InvalidInput


def test_block_is_appended_after_user_text_and_replaced_in_place():
    user = "# Title\n\nMine.\n"
    once = replace_block(user, "- rule one", "AGENTS.md")
    assert once == "# Title\n\nMine.\n\n<!-- farm:begin -->\n- rule one\n<!-- farm:end -->\n"
    tail = once + "\nAfter the block, also mine.\n"
    twice = replace_block(tail, "- rule one\n- rule two", "AGENTS.md")
    assert twice.startswith(user) and twice.endswith("\nAfter the block, also mine.\n")
    assert "- rule two" in twice
    assert replace_block(twice, "- rule one\n- rule two", "AGENTS.md") == twice


def test_crlf_file_keeps_crlf_everywhere():
    user = "a\r\nb\r\n"
    out = replace_block(user, "- x", "AGENTS.md")
    assert out.startswith(user)
    assert "\n" not in out.replace("\r\n", "")
    again = replace_block(out + "tail\r\n", "- y", "AGENTS.md")
    assert again.endswith("<!-- farm:end -->\r\ntail\r\n")


def test_file_without_trailing_newline_and_empty_file():
    assert replace_block("", "- x", "F") == "<!-- farm:begin -->\n- x\n<!-- farm:end -->\n"
    assert replace_block("no newline", "- x", "F").startswith("no newline\n\n<!-- farm:begin -->")


@pytest.mark.parametrize("text", [
    "<!-- farm:begin -->\nno end\n",
    "<!-- farm:end -->\n<!-- farm:begin -->\n",
    "<!-- farm:begin -->\n<!-- farm:end -->\n<!-- farm:begin -->\n<!-- farm:end -->\n",
])
def test_broken_markers_are_refused(text):
    with pytest.raises(InvalidInput, match="markers are broken"):
        replace_block(text, "- x", "AGENTS.md")
