"""User text on the site is untrusted: these helpers are the only way it reaches a page.

Every string that came from a correction file, an event or a session goes through one of:
`esc` (HTML text or attribute), `label` (plain text that a theme may print unescaped, such as
page titles and tag names), `prose` (markdown rendered to HTML with raw HTML off) or
`href` (http(s) links only). Pages built from them contain no user-written markup.
"""

from __future__ import annotations

import hashlib
import html
import re
from functools import lru_cache

# C0 controls but tab and newline, DEL and C1: never meaningful in a page, and STX/ETX are
# the placeholders Python-Markdown uses for stashed HTML.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LOOKALIKE = str.maketrans({"<": "‹", ">": "›", "&": "＆", "\n": " ", "\t": " "})
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>`]+$", re.I)


def clean(text: object) -> str:
    return _CONTROL.sub("", "" if text is None else str(text))


def esc(text: object) -> str:
    """Text for HTML element content or a quoted attribute."""
    return html.escape(clean(text), quote=True)


def label(text: object, limit: int = 200) -> str:
    """Plain text with no character a template could turn into markup (`<`, `>`, `&`).

    For page titles and tag names, which MkDocs themes print without escaping.
    """
    words = " ".join(clean(text).translate(_LOOKALIKE).split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def href(url: object) -> str | None:
    """An http(s) URL fit for an href attribute, or None."""
    text = clean(url).strip()
    return html.escape(text, quote=True) if _SAFE_URL.match(text) else None


def prose(markdown_text: object) -> str:
    """Untrusted markdown as HTML: raw HTML shown as text, only safe links, no remote images."""
    return _markdown().render(clean(markdown_text))


def anchor(prefix: str, text: object) -> str:
    """A stable id made only of [a-z0-9-], whatever the text."""
    raw = clean(text)
    slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")[:40]
    digest = hashlib.sha1(raw.encode()).hexdigest()[:6]
    return f"{prefix}-{slug}-{digest}" if slug else f"{prefix}-{digest}"


def code_fence(text: str) -> str:
    """A backtick fence longer than any run of backticks in `text`, so it cannot be closed early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    # An image would be fetched when the page is viewed: keep the page offline, show a link.
    md.disable("image")

    def link_open(self, tokens, idx, options, env):
        tokens[idx].attrSet("rel", "nofollow noopener")
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md
