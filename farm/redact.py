"""Find credentials in text and replace each with "[REDACTED:<kind>]" before farm keeps or shows it.

Not detect-secrets 1.5: it scans line by line for values (not offsets), and on farm's corpus it
altered 86 of 89 look-alikes and ran ~150x slower; one curated rule per format serves farm better.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["Finding", "find_secrets", "redact", "redact_url"]


@dataclass(frozen=True)
class Finding:
    """A secret of `kind` at text[start:end]."""

    kind: str
    start: int
    end: int


# A judge sees a match and the text it was found in; it returns the finding's kind, "" for the
# rule's own kind, or None when the match is not a secret after all.
Judge = Callable[[re.Match[str], str], "str | None"]

_EITHER = "qv|bv"  # group name meaning: the quoted value if there is one, else the bare value


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    # The rule cannot match unless one of these occurs. Most are absent from ordinary text, and
    # `in` skips ahead by the hint's length where re steps through every character.
    hints: tuple[str, ...]
    group: str | int = 0  # the part of the match that is the secret
    # On overlap the highest rank names the merged finding: 5 and 4 for distinctive formats,
    # 3 for generic ones, 2 for the Authorization header, 1 for other context.
    rank: int = 1
    judge: Judge | None = None
    # Case-insensitive rules scan the lowercased text: re's IGNORECASE is ten times slower.
    folded: re.Pattern[str] | None = None


def _value(match: re.Match[str], text: str, group: str | int = "v") -> str:
    """A group's text from the original: folded rules match a lowercased copy."""
    start, end = match.span(group)
    return text[start:end]


# --- value checks -------------------------------------------------------------

_RUN = re.compile(r"(.)\1{5}")
_PLACEHOLDER_WORD = re.compile(
    r"(?:^|[-_ .])(?:your|here|example|placeholder|dummy|fake|redacted|insert|replace|sample|"
    r"changeme|xxx+)(?:[-_ .]|$)",
    re.IGNORECASE,
)


def _is_dummy(value: str) -> bool:
    """Documentation and template values that only look like credentials."""
    return bool(
        _RUN.search(value)
        or "EXAMPLE" in value
        or "xxxx" in value
        or "XXXX" in value
        or _PLACEHOLDER_WORD.search(value)
    )


def _looks_random(value: str) -> bool:
    """At least two of upper, lower, digit: keeps long identifiers like hf_hub_download out."""
    classes = (
        any(c.isupper() for c in value),
        any(c.islower() for c in value),
        any(c.isdigit() for c in value),
    )
    return sum(classes) >= 2


def _real_token(match: re.Match[str], text: str) -> str | None:
    return None if _is_dummy(_value(match, text, 0)) else ""


def _random_token(match: re.Match[str], text: str) -> str | None:
    value = _value(match, text, 0)
    return "" if _looks_random(value) and not _is_dummy(value) else None


_PLACEHOLDER_VALUES = frozenset(
    "none null nil true false yes no on off undefined required optional string str bytes int "
    "bool boolean number any object secret secrets password passwd pass token key apikey api_key "
    "changeme change_me changeit example test dummy placeholder redacted hidden masked tbd todo "
    "bearer basic n/a".split()
)
_VARIABLE = re.compile(r"\$[{(A-Za-z_]|%[({]|\{\{|\{%|#\{|<|\[REDACTED|@\{")
_NAMES_A_SECRET = re.compile(r"[A-Z][A-Z0-9_]*|[a-z]+(?:_[a-z]+)+")
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}")
# '%s:%s' % (user, pw) and "anonymous:$FROM_EMAIL" build a secret from variables; no literal.
_TEMPLATE = re.compile(r"%[sdr]|\{\d*\}|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]{2,}")
_VERSION = re.compile(r"v?\d+(?:\.\d+)+(?:[-+.][0-9A-Za-z.]+)?")
_SECRET_WORD = re.compile(r"pass|secret|token|key", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)  # values and names repeat: a log line per request
def _is_placeholder(value: str) -> bool:
    """Values of secret-named settings that are not themselves secrets."""
    return (
        len(value) < 3
        or value.lower().rstrip("?") in _PLACEHOLDER_VALUES
        or bool(_VARIABLE.match(value))
        or (value.startswith("{") and value.endswith("}"))
        or any(mark in value for mark in ("...", "\u2026", "***", "\u2022\u2022"))
        or (value.isdigit() and len(value) <= 5)
        or bool(_COLOUR.fullmatch(value))
        or bool(_TEMPLATE.search(value))
        or bool(_VERSION.fullmatch(value))
        or value.startswith(("/", "./", "../", "~/", "http://", "https://", "file:"))
        # GITHUB_TOKEN or api_key as a value: the name of a variable, not its content
        or bool(_NAMES_A_SECRET.fullmatch(value) and _SECRET_WORD.search(value))
        or _is_dummy(value)
    )


def _real_value(match: re.Match[str], text: str) -> str | None:
    return None if _is_placeholder(_value(match, text)) else ""


def _not_a_word(match: re.Match[str], text: str) -> str | None:
    """"the -keypass option": a bare word after a flag is prose more often than a password."""
    value = _value(match, text)
    return None if _is_placeholder(value) or _CODE_REFERENCE.fullmatch(value) else ""


def _aws_secret(match: re.Match[str], text: str) -> str | None:
    value = _value(match, text)
    return "" if _looks_random(value) and not _is_dummy(value) else None


# --- secret-named settings ----------------------------------------------------

_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_SEGMENT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SECRET_SEGMENT = re.compile(
    r"(?:password|passwd|passphrase|secret|token|credentials?|apikey|secretkey|privatekey|"
    r"accesskey|authkey|masterkey|signingkey)$"
)
_KEY_QUALIFIERS = frozenset(
    "api access secret private signing encryption master auth app client service account admin "
    "consumer shared storage session license subscription webhook hmac jwt cookie crypto".split()
)
# Words that may follow the secret noun in a name: DB_PASSWORD_PROD, SECRET_KEY_BASE, PASSWORD2.
# Any other word makes the name about the secret (PASSWORD_FILE, TOKEN_URL, SECRET_NAME).
_TRAILERS = frozenset(
    "value base prod production dev development staging stage test local b64 base64 hex raw "
    "plain plaintext encoded encrypted enc confirmation confirm again old new current str string "
    "bytes".split()
)
_PUBLIC = frozenset("public pub publishable placeholder".split())
_VENDOR_KEY = "vendor-key"  # a name's promise that only a strong value keeps; shown as api-key


def _noun_kind(segs: list[str], i: int) -> str | None:
    seg = segs[i]
    if seg in ("pass", "pwd") or "passw" in seg or seg == "passphrase":
        return "password"
    if seg == "auth" and len(segs) == 1:  # .npmrc's _auth, docker's "auth"; not SOCKS5_AUTH
        return "secret"
    qualified_key = seg == "key" and i > 0 and segs[i - 1] in _KEY_QUALIFIERS
    if seg == "key" and i > 0 and not qualified_key:
        return _VENDOR_KEY  # OPENWEATHER_KEY, but also SORT_KEY: the value must decide
    if not (_SECRET_SEGMENT.search(seg) or qualified_key):
        return None
    if seg.endswith("apikey") or (qualified_key and segs[i - 1] == "api"):
        return "api-key"
    return "token" if "token" in seg else "secret"


@functools.lru_cache(maxsize=4096)
def _key_kind(key: str) -> str | None:
    """The kind of secret a setting's name promises, or None if the name is not secret-ish."""
    parts = re.split(r"[_.\-/:]+", key)
    segs = [s.lower() for part in parts for s in _SEGMENT.findall(part)]
    if _PUBLIC.intersection(segs):
        return None
    for i in range(len(segs) - 1, -1, -1):
        kind = _noun_kind(segs, i)
        if kind or not (segs[i] in _TRAILERS or segs[i].isdigit()):
            return kind
    return None


def _key_before(text: str, end: int) -> str:
    """The start of a setting's name: the regex anchors on its secret word, e.g. DB_|PASSWORD."""
    start = end
    while start > 0 and end - start < 80 and text[start - 1] in _KEY_CHARS:
        start -= 1
    return text[start:end]


_CODE_REFERENCE = re.compile(r"[A-Za-z_]+(?:\.[A-Za-z_]+)*")
_TYPE_NAME = re.compile(r"_*[A-Z][A-Za-z]*|str|bytes|int|bool|string|number|boolean|any|object")
_LINE_END = re.compile(r"[ \t]*(?:#.*)?(?:$|\r|\n|\\[nr])", re.MULTILINE)


def _is_code(value: str, after: str) -> bool:
    """An expression rather than a literal: f(x), a[0], X11::Auth->new, *glob, &ref."""
    return (
        after == "("
        or any(mark in value for mark in ("(", "[", "{", "::", "->"))
        or value[:1] in ("*", "&")
    )


def _bare_value_ok(match: re.Match[str], text: str, value: str, kind: str) -> bool:
    """An unquoted value: a config file's literal, or a program's variable?

    Words without digits count as secrets only in env style (KEY=value, not inside an argument
    list) or, for passwords, as the whole rest of a YAML line, where code rarely puts a variable.
    """
    after = text[match.end() : match.end() + 1]
    if _is_code(value, after):
        return False
    if not _CODE_REFERENCE.fullmatch(value):
        return True
    sep = _value(match, text, "sep")
    if sep == "=":
        return after not in (",", ")")
    at_line_end = bool(_LINE_END.match(text, match.end()))
    return kind == "password" and ":" in sep and at_line_end and not _TYPE_NAME.fullmatch(value)


def _opens_call(text: str, key_start: int, key: str) -> bool:
    """Whether a quoted setting name is a call's first argument: Setenv("API_KEY", value).

    The name must look like one (API_KEY, X-Api-Key): in scrypt('password', 'salt') it is data.
    """
    before = text[max(0, key_start - 40) : key_start].rstrip("\"'\\").rstrip()
    return before.endswith("(") and ("_" in key or "-" in key or key.isupper())


def _setting_value(match: re.Match[str], text: str) -> str | None:
    head = _key_before(text, match.start())
    key = head + _value(match, text, "name")
    kind = _key_kind(key)
    key_start = match.start() - len(head)
    if kind is None or text[max(0, key_start - 2) : key_start] == "::":  # Test2::Event::Pass
        return None
    quoted = match.group("qv") is not None
    value = _value(match, text, "qv" if quoted else "bv")
    if _is_placeholder(value.strip()):
        return None
    # A comma separates name and value only in a call; in a list it separates two names.
    if "," in match.group("sep") and not (quoted and _opens_call(text, key_start, key)):
        return None
    if not quoted and not _bare_value_ok(match, text, value, kind):
        return None
    return _shown(kind) if _plausible(kind, value) else None


def _shown(kind: str) -> str:
    return "api-key" if kind == _VENDOR_KEY else kind


# A <vendor>_KEY value must look like a base62 key: upper, lower and digits, 20 or more of them.
# That spares SORT_KEY=name, hex digests, UUIDs and paths used as cache or object keys.
_STRONG_KEY = re.compile(r"(?=[^A-Z]*[A-Z])(?=[^a-z]*[a-z])(?=[^0-9]*[0-9])[A-Za-z0-9_+/=-]{20,}")


def _plausible(kind: str, value: str) -> bool:
    """Tokens and keys are machine-made: a plain word or phrase under such a name is no secret."""
    if kind == _VENDOR_KEY:
        return bool(_STRONG_KEY.fullmatch(value))
    if kind == "password":  # a passphrase has a few words; a sentence or a text block is prose
        return value.count(" ") < 4 and "\\n" not in value
    return len(value) >= 8 and _looks_random(value) and " " not in value


_QUOTED_OR_BARE = (
    r"(?:(?P<q>\\?[\"'`])(?P<qv>(?:(?!(?P=q))[^\n]){1,500}?)(?P=q)"
    r"|(?P<bv>(?!\\?[\"'`])[^\s\"'`,;&)}\]<>\\]{1,500}))"
)
# One regex per word: each then starts with a literal, which re finds fast; an alternation of
# words starts with a set of common letters and is several times slower.
_SETTING_WORDS = ("pass", "pwd", "secret", "token", "key", "credential", "auth")
_SETTING = (
    # Possessive: the name's characters never start a separator, and "keykeykey..." must not
    # make every "key" retry 40 shorter names.
    r"(?P<name>WORD[a-z0-9_.-]{0,40}+)"
    r"(?:\\?[\"'])?\]?"  # the closing quote of a quoted key (maybe JSON-escaped) or subscript
    # No space before a colon: "pass :meth:" is prose and c ? "PASS" : "FAIL" a ternary.
    # A comma only after a quoted key: Setenv("API_KEY", v).
    r"(?P<sep>(?:[ \t]*(?:=>|:=|=)|:|(?<=[\"'])[ \t]*,)(?![:=])[ \t]*)"
    + _QUOTED_OR_BARE
)


def _setting(word: str) -> str:
    return _SETTING.replace("WORD", word)


_FLAG = (
    r"--(?<![\w-]--)(?P<name>[a-z0-9-]{0,40}(?:password|passwd|pass|token|secret|api-key|apikey|"
    r"access-key|secret-key|private-key)[a-z0-9-]{0,40}+)(?P<sep>[ \t]+)" + _QUOTED_OR_BARE
)


def _flag_value(match: re.Match[str], text: str) -> str | None:
    kind = _key_kind(match.group("name"))
    quoted = match.group("qv") is not None
    value = _value(match, text, "qv" if quoted else "bv")
    if kind is None or value.startswith("-") or _is_placeholder(value):
        return None
    if not _plausible(kind, value):
        return None
    # "the --password option": a bare word after a flag is more often prose than a password.
    return None if not quoted and _CODE_REFERENCE.fullmatch(value) else _shown(kind)


_XML_SETTING = (
    r"<(?P<tag>[a-z_:-]{0,40}(?:password|secret|token|apikey|api_key|api-key)[a-z_-]{0,40}+)>"
    r"(?P<v>[^<\s]{3,500})</(?P=tag)>"
)


def _xml_value(match: re.Match[str], text: str) -> str | None:
    kind = _key_kind(_value(match, text, "tag"))
    value = _value(match, text)
    if kind is None or _is_placeholder(value) or not _plausible(kind, value):
        return None
    return _shown(kind)


# --- structural rules ---------------------------------------------------------

_PRIVATE_KEY = (
    r"-----BEGIN[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----"
    # A whole block: a key's body never contains "-----", so the scan stops at the next marker.
    r"(?:(?:[^-]|-(?!----)){32,16000}+-----END[A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----"
    # A block cut short in an excerpt: the header and the base64 lines that follow it.
    r"|(?:(?:\s|\\[nr])+(?:(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset): [^\n\\]*"
    r"|[A-Za-z0-9+/=]{16,4096}))+)"
)
_PUTTY_KEY = r"Private-Lines: \d+(?:(?:\r?\n|\\r?\\n)[A-Za-z0-9+/=]{1,80})+"


_KEY_BODY = re.compile(r"[A-Za-z0-9+/]{32}")  # a mention of the header alone is no key


def _has_key_body(match: re.Match[str], text: str) -> str | None:
    return "" if _KEY_BODY.search(_value(match, text, 0)) else None


# The password may hold a raw "@": backtrack to the last one before the host.
_URL_PASSWORD = r"://[^\s:/?#@'\"<>\[\]\\]{0,128}:(?P<v>[^\s/?'\"\\]{1,256})@(?=[A-Za-z0-9\[])"
_AUTH_HEADER = (
    r"authorization\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?"
    r"(?:(?P<scheme>bearer|basic|token|bot|apikey|key|sso-key|jwt|negotiate|ntlm|otp|hmac|"
    r"aws4-hmac-sha256)[ \t]+)?(?P<v>[a-z0-9._~+/=-]{8,4096}+)"
)


def _auth_value(match: re.Match[str], text: str) -> str | None:
    """Without a scheme word the value may be code: authorization = self.headers.get(...)."""
    value = _value(match, text)
    after = text[match.end() : match.end() + 1]
    if _is_placeholder(value):
        return None
    if not match.group("scheme") and (_CODE_REFERENCE.fullmatch(value) or _is_code(value, after)):
        return None
    return ""


_BEARER = r"Bearer(?<![A-Za-z0-9]Bearer)[ \t]+(?P<v>[A-Za-z0-9._~+/-]{16,4096}+=*)"


def _bearer_value(match: re.Match[str], text: str) -> str | None:
    value = _value(match, text)
    return "" if _looks_random(value) and not _is_placeholder(value) else None


def _command(lead: str, flag: str, *, stop: str = r"\n", variants: str = "") -> str:
    """A command line whose `flag` takes a password: curl -u user:pw, mysql -ppw, login -p pw.

    The scan for the flag ends at the next occurrence of the command, so that a line repeating
    the command costs linear time.
    """
    lit = re.escape(lead)
    return rf"{lit}(?<![\w-]{lit}){variants}\b(?:(?!{lit})[^{stop}]){{0,300}}?[ \t]{flag}"


_PASSWORD_ARG = r"(?P<v>[^\s\"'`;&|]{1,200})"
_SHELL_STOP = r"\n|;&"
_CURL_USER = _command("curl", r"(?:-u|--user)[ \t]*[\"']?[^\s:\"']{1,128}:(?P<v>[^\s\"']{1,256})")
# -p'pw' and -p"pw": the shell removes the quotes, the password is what is inside them.
_MYSQL_P = _command("mysql", "-p[\"']?" + _PASSWORD_ARG, stop=_SHELL_STOP, variants="(?:dump|admin)?")
_MARIADB_P = _command("mariadb", "-p[\"']?" + _PASSWORD_ARG, stop=_SHELL_STOP)
# sudo -S reads the password from stdin: a here-string after it, or an echo piped into it.
_SUDO_HERE = _command("sudo", r"-[A-Za-z]*S[A-Za-z]*(?:[ \t][^\n;&|<]{0,300}?)?[ \t]*<<<[ \t]*[\"']?" + _PASSWORD_ARG,
                      stop=_SHELL_STOP)
_SUDO_PIPE = (
    r"(?:echo|printf)[ \t]+(?:-[a-z]{1,3}[ \t]+)?(?:[\"']%s(?:\\n)?[\"'][ \t]+)?[\"']?" + _PASSWORD_ARG
    + r"[\"']?[ \t]*\|[ \t]*sudo[ \t]+(?:-[A-Za-z]+[ \t]+)*?-[A-Za-z]*S(?![\w-])"
)
# Tools that take a password as a flag's argument (keytool/jarsigner, ldap*, smbclient, htpasswd).
_KEYTOOL_PASS = r"-(?<![\w-]-)(?:src|dest|new)?(?:store|key)pass[ \t]+[\"']?" + _PASSWORD_ARG
_LDAP_W = _command("ldap", r"-w[ \t]+[\"']?" + _PASSWORD_ARG, stop=_SHELL_STOP,
                   variants="(?:search|modify|add|delete|passwd|whoami|compare|modrdn)")
_SMB_FLAG = r"(?:-U|--user(?:=|[ \t]+))[ \t]*[\"']?[^\s%\"']{1,128}%(?P<v>[^\s\"']{1,256})"
_SMB_TOOLS = ("smbclient", "rpcclient", "smbmap", "smbcacls")
# htpasswd -b FILE USER PW, or with -n (print, no file) USER PW.
_HTPASSWD_HEAD = r"htpasswd(?<![\w-]htpasswd)[ \t]+-(?=[A-Za-z]*b)"
_HTPASSWD = (_HTPASSWD_HEAD + r"(?![A-Za-z]*n)[A-Za-z]+[ \t]+(?:-\S+[ \t]+)*\S+[ \t]+\S+[ \t]+[\"']?"
             + _PASSWORD_ARG)
_HTPASSWD_N = _HTPASSWD_HEAD + r"(?=[A-Za-z]*n)[A-Za-z]+[ \t]+(?:-\S+[ \t]+)*\S+[ \t]+[\"']?" + _PASSWORD_ARG
_SSHPASS = r"sshpass(?<![\w-]sshpass)[ \t]+-p[ \t]*[\"']?" + _PASSWORD_ARG
# docker/podman/helm/az/oc/cf login all take -p for the password.
_LOGIN_P = _command("login", r"-p[ \t]+[\"']?" + _PASSWORD_ARG, stop=_SHELL_STOP)
_REDIS_A = _command("redis-cli", r"-a[ \t]+[\"']?" + _PASSWORD_ARG, stop=_SHELL_STOP)
_GH_SECRET = _command("secret set", r"(?:--body|-b)[ \t=]+[\"']?" + _PASSWORD_ARG, stop=_SHELL_STOP)
_NETRC = r"login(?<![\w-]login)[ \t]+\S{1,128}\s+password[ \t]+(?P<v>[^\s\"']{1,256})"
_SQL_QUOTED = r"[ \t]+(?P<q>[\"'])(?P<v>[^\"'\n]{1,256})(?P=q)"
_SQL_IDENTIFIED = r"identified[ \t]+by" + _SQL_QUOTED
_SQL_WITH = r"password(?:(?<=with password)|(?<=encrypted password))" + _SQL_QUOTED
# requests' auth=("user", "pw") and HTTPBasicAuth("user", "pw"): the password is the second string.
_AUTH_PAIR = (
    r"\((?:(?<=auth=\()|(?<=auth = \()|(?<=Auth\())[ \t]*(?P<q>[\"'])[^\"'\n]{1,128}(?P=q)"
    r"[ \t]*,[ \t]*(?P<q2>[\"'])(?P<v>[^\"'\n]{1,256})(?P=q2)"
)
# host:port:database:user:password, one per line; the judge checks the host.
_PGPASS = r":(?:\d{2,5}|\*):[^:\s]{1,128}:[^:\s]{1,128}:(?P<v>[^:\s]{1,256})$"


def _pgpass_line(match: re.Match[str], text: str) -> str | None:
    host = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
    ok = re.fullmatch(r"[A-Za-z0-9.*_-]{1,253}", host) and not _is_placeholder(_value(match, text))
    return "" if ok else None


# Settings stored as name/value pairs: Kubernetes env, ECS task JSON, .NET appSettings.
def _name_value_pair(label: str) -> str:
    return (
        label + r"\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?(?P<name>[a-z0-9_.-]{1,80}+)\\?[\"']?"
        r"[\s,]{1,20}\\?[\"']?value\\?[\"']?[ \t]*[:=][ \t]*" + _QUOTED_OR_BARE
    )


def _name_value(match: re.Match[str], text: str) -> str | None:
    kind = _key_kind(_value(match, text, "name"))
    value = _value(match, text, "qv" if match.group("qv") is not None else "bv")
    if kind is None or _is_placeholder(value) or not _plausible(kind, value):
        return None
    return _shown(kind)


# --- the rule table -----------------------------------------------------------

_ALNUM = "A-Za-z0-9"
_B64URL = "A-Za-z0-9_-"
_HEX = "0-9a-f"


def _rule(kind: str, pattern: str, *, hints: tuple[str, ...] = (), group: str | int = "v",
          rank: int = 1, judge: Judge | None = _real_value, fold: bool = False,
          flags: int = 0) -> _Rule:
    if not fold:
        return _Rule(kind, re.compile(pattern, flags), hints, group, rank, judge)
    # Folded hints are lowercase too; the IGNORECASE twin serves text whose length lower() changes.
    return _Rule(kind, re.compile(pattern, flags | re.IGNORECASE), hints, group, rank, judge,
                 re.compile(pattern, flags))


def _token(kind: str, lead: str, body: str, *, glued: str = _B64URL, rank: int = 4,
           judge: Judge = _real_token) -> _Rule:
    """A credential with a distinctive literal prefix, not glued to more token characters.

    The lookbehind comes after the literal so that re keeps its fast literal search, and so that
    inside a long run like "eyJeyJeyJ..." only the first occurrence pays for an attempt.
    """
    lit = re.escape(lead)
    pattern = f"{lit}(?<![{glued}]{lit}){body}(?![{glued}])"
    return _rule(kind, pattern, hints=(lead,), group=0, rank=rank, judge=judge)


_RULES: tuple[_Rule, ...] = (
    # Cloud providers
    _rule("aws-access-key-id",
          r"(?:AKIA|ASIA|ABIA|ACCA)(?<![A-Za-z0-9]....)[A-Z0-9]{16}(?![A-Za-z0-9])",
          hints=("AKIA", "ASIA", "ABIA", "ACCA"), group=0, rank=4, judge=_real_token),
    # The console's CSV and most copy-pastes put the secret right after the key id.
    _rule("aws-secret-access-key",
          r"(?:AKIA|ASIA)[A-Z0-9]{16}[\s,;:|\"'=]{1,5}(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
          hints=("AKIA", "ASIA"), rank=4),
    # A secret may start with "/": the value is judged as a key, not as a path.
    _rule("aws-secret-access-key",
          r"secret[_ ]?access[_ ]?key[^a-z0-9/+\n]{1,10}(?P<v>[a-z0-9/+]{40})(?![a-z0-9/+=])",
          hints=("secret",), rank=4, fold=True, judge=_aws_secret),
    _token("gcp-api-key", "AIza", f"[{_B64URL}]{{35}}"),
    _token("gcp-oauth-secret", "GOCSPX-", f"[{_B64URL}]{{28}}"),
    _token("gcp-access-token", "ya29.", "[A-Za-z0-9_.-]{30,2000}+"),
    _rule("azure-storage-key",
          r"(?:AccountKey|SharedAccessKey)=(?P<v>[A-Za-z0-9+/]{20,200}={0,2})",
          hints=("AccountKey=", "SharedAccessKey="), rank=4),
    _rule("azure-sas-signature", r"[?&;]sig=(?P<v>[A-Za-z0-9%+/=]{16,200})", hints=("sig=",)),
    _rule("azure-client-secret",
          r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
          hints=("Q~",), group=0, rank=4, judge=_real_token),
    _rule("digitalocean-token",
          r"do[pro]_v1_(?<![A-Za-z0-9_-]do._v1_)[a-f0-9]{64}(?![A-Za-z0-9_-])",
          hints=("_v1_",), group=0, rank=4, judge=_real_token),
    # Code hosting and package registries
    _token("github-token", "gh", f"[pousr]_[{_ALNUM}]{{36,251}}"),
    _token("github-token", "github_pat_", f"[{_ALNUM}_]{{50,255}}"),
    _token("gitlab-token", "gl",
           f"(?:pat|dt|rt|ft|soat|oas|cbt|ptt|imt|agent)-[{_B64URL}]{{20,255}}"),
    _token("gitlab-token", "GR1348941", f"[{_B64URL}]{{20,50}}"),
    _token("npm-token", "npm_", f"[{_ALNUM}]{{36}}"),
    _token("pypi-token", "pypi-AgE", f"[{_B64URL}]{{50,500}}"),
    # Chat and messaging
    _token("slack-token", "xox", f"[abposr]-[{_ALNUM}-]{{10,250}}+", glued=_ALNUM),
    _token("slack-token", "xoxe", f"[.-][{_ALNUM}.-]{{20,250}}+", glued=_ALNUM),
    _token("slack-token", "xapp-", r"\d-[A-Z0-9]{5,20}-\d{5,20}-[a-z0-9]{20,80}", glued=_ALNUM),
    _rule("slack-webhook",
          r"hooks\.slack\.com/(?:services|workflows|triggers)/(?:[A-Za-z0-9]+/){2,3}"
          r"(?P<v>[A-Za-z0-9]{16,64})",
          hints=("hooks.slack.com",), rank=4),
    _rule("discord-webhook",
          r"discord(?:app)?\.com/api/webhooks/\d{5,30}/(?P<v>[A-Za-z0-9_-]{50,100})",
          hints=("/api/webhooks/",), rank=4),
    _rule("telegram-bot-token", r"(?<![0-9])\d{8,10}:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])",
          hints=(":AA",), group=0, rank=4, judge=_real_token),
    # Payments, mail, SMS, SaaS
    _token("stripe-key", "sk_", f"(?:live|test)_[{_ALNUM}]{{10,247}}"),
    _token("stripe-key", "rk_", f"(?:live|test)_[{_ALNUM}]{{10,247}}"),
    _token("stripe-key", "whsec_", f"[{_ALNUM}]{{24,64}}"),
    _token("sendgrid-key", "SG.", f"[{_B64URL}]{{22}}\\.[{_B64URL}]{{43}}"),
    _token("mailgun-key", "key-", f"[{_HEX}]{{32}}"),
    # The signing key has no prefix: anchor on its first dash and capture the 32 hex digits behind.
    _rule("mailgun-key",
          r"-(?<=(?<![0-9a-zA-Z-])(?P<head>[0-9a-f]{32})-)[0-9a-f]{8}-[0-9a-f]{8}(?![0-9a-zA-Z-])",
          group=0, rank=4, judge=_real_token),
    _token("twilio-key", "SK", f"[{_HEX}]{{32}}", glued=_ALNUM),
    _rule("twilio-auth-token",
          r"AC[0-9a-f]{32}\\?[\"']?[ \t]*[,:][ \t]*\\?[\"']?(?P<v>[0-9a-f]{32})(?![0-9a-zA-Z])",
          hints=("AC",), rank=4),
    _token("shopify-token", "shp", "(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    _token("linear-key", "lin_api_", f"[{_ALNUM}]{{40}}"),
    _token("notion-token", "ntn_", f"[{_ALNUM}]{{40,50}}"),
    _token("postman-key", "PMAK-", f"[{_HEX}]{{24}}-[{_HEX}]{{34}}"),
    _token("databricks-token", "dapi", f"[{_HEX}]{{32}}(?:-\\d)?", glued=_ALNUM),
    _token("age-secret-key", "AGE-SECRET-KEY-1", "[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
    # Model providers
    _token("anthropic-key", "sk-ant-", f"[{_B64URL}]{{32,300}}", rank=5),
    _token("openai-key", "sk-", f"(?:proj|svcacct|admin)-[{_B64URL}]{{20,300}}"),
    _token("openai-key", "sk-", f"[{_ALNUM}]{{20}}T3BlbkFJ[{_ALNUM}]{{20}}"),
    _token("openrouter-key", "sk-or-", f"v1-[{_HEX}]{{64}}"),
    _token("api-key", "sk-", f"[{_B64URL}]{{20,300}}", rank=3, judge=_random_token),
    _token("api-key", "sk_", f"[{_HEX}]{{48}}", rank=3),  # ElevenLabs
    _token("huggingface-token", "hf_", f"[{_ALNUM}]{{34,40}}", judge=_random_token),
    _token("huggingface-token", "api_org_", f"[{_ALNUM}]{{34}}", judge=_random_token),
    _token("groq-key", "gsk_", f"[{_ALNUM}]{{48,56}}"),
    _token("replicate-token", "r8_", f"[{_ALNUM}]{{37}}", judge=_random_token),
    _token("xai-key", "xai-", f"[{_ALNUM}]{{70,90}}", judge=_random_token),
    _token("perplexity-key", "pplx-", f"[{_ALNUM}]{{40,56}}", judge=_random_token),
    _token("langsmith-key", "lsv2_", f"(?:pt|sk)_[{_HEX}]{{32}}_[{_HEX}]{{10}}"),
    _token("tavily-key", "tvly-", f"(?:dev-|prod-)?[{_ALNUM}]{{32}}", judge=_random_token),
    # Infrastructure, CI and SaaS tokens with their own prefixes
    _token("vault-token", "hvs.", f"[{_B64URL}]{{90,200}}"),
    _token("vault-token", "hvb.", f"[{_B64URL}]{{100,250}}"),
    _token("doppler-token", "dp.", f"(?:pt|st|sa|ct|scim|audit)\\.[{_ALNUM}]{{40,44}}"),
    _token("atlassian-token", "ATATT3", f"[={_B64URL}]{{150,300}}", glued=_ALNUM),
    _token("bitbucket-token", "ATBB", f"[{_ALNUM}]{{32}}", glued=_ALNUM),
    _token("supabase-token", "sbp_", f"[{_HEX}]{{40}}"),
    _token("netlify-token", "nfp_", f"[{_ALNUM}]{{36}}"),
    _token("sentry-token", "sntrys_", f"eyJ[+/={_B64URL}]{{50,400}}"),
    _token("sentry-token", "sntryu_", f"[{_HEX}]{{64}}"),
    _token("grafana-token", "glsa_", f"[{_ALNUM}]{{32}}_[{_HEX}]{{8}}"),
    _token("grafana-token", "glc_", f"[{_ALNUM}+/]{{32,400}}={{0,2}}"),
    _token("newrelic-key", "NRAK-", "[A-Z0-9]{27}", glued=_ALNUM),
    _token("docker-token", "dckr_pat_", f"[{_B64URL}]{{27,40}}"),
    _token("pulumi-token", "pul-", f"[{_HEX}]{{40}}"),
    _rule("terraform-token", f"(?<![{_ALNUM}])[{_ALNUM}]{{14}}\\.atlasv1\\.[={_B64URL}]{{60,80}}",
          hints=(".atlasv1.",), group=0, rank=4, judge=_real_token),
    _token("planetscale-token", "pscale_", f"(?:tkn|pw|oauth)_[.{_B64URL}]{{32,64}}"),
    _token("figma-token", "figd_", f"[{_B64URL}]{{40}}"),
    _token("tailscale-key", "tskey-", f"(?:api-|auth-|client-)?[{_ALNUM}]{{6,20}}-[{_ALNUM}]{{20,60}}"),
    _token("1password-token", "ops_", f"eyJ[+/={_B64URL}]{{100,2000}}"),
    _token("pinecone-key", "pcsk_", f"[{_ALNUM}_]{{40,120}}"),
    _token("buildkite-token", "bkua_", f"[{_HEX}]{{40}}"),
    _token("circleci-token", "CCIPAT_", f"[{_ALNUM}]{{22}}_[{_HEX}]{{40}}"),
    _token("sonarqube-token", "sq", f"[pua]_[{_HEX}]{{40}}", glued=_ALNUM),
    _token("square-token", "sq0", f"(?:atp-[{_B64URL}]{{22}}|csp-[{_B64URL}]{{43}})"),
    _token("jfrog-token", "AKCp", f"[{_ALNUM}]{{60,80}}", glued=_ALNUM),
    _token("mapbox-token", "sk.eyJ", f"[{_B64URL}]{{50,400}}\\.[{_B64URL}]{{20,60}}"),
    _token("flyio-token", "fm2_", f"[{_ALNUM}+/=_,-]{{50,4000}}"),
    _token("razorpay-key", "rzp_", f"(?:live|test)_[{_ALNUM}]{{14,32}}"),
    _token("resend-key", "re_", f"[{_ALNUM}]{{8}}_[{_ALNUM}]{{24}}", judge=_random_token),
    # Structures that hold a secret of any format
    _rule("private-key", _PRIVATE_KEY, hints=("-----BEGIN",), group=0, rank=5, judge=_has_key_body),
    _rule("private-key", _PUTTY_KEY, hints=("Private-Lines:",), group=0, rank=5, judge=None),
    _token("jwt", "eyJ",
           f"[{_B64URL}]{{8,4000}}+\\.ey[{_B64URL}]{{6,8000}}+\\.[{_B64URL}]{{0,2000}}+"),
    _rule("url-password", _URL_PASSWORD, hints=("://",)),
    _rule("auth-header", _AUTH_HEADER, hints=("authorization",), rank=2, judge=_auth_value,
          fold=True),
    _rule("bearer-token", _BEARER, hints=("Bearer",), judge=_bearer_value),
    _rule("password", _CURL_USER, hints=("curl",)),
    _rule("password", _MYSQL_P, hints=("mysql",)),
    _rule("password", _MARIADB_P, hints=("mariadb",)),
    _rule("password", _SSHPASS, hints=("sshpass",)),
    _rule("password", _SUDO_HERE, hints=("<<<",)),
    _rule("password", _KEYTOOL_PASS, hints=("storepass", "keypass"), judge=_not_a_word),
    _rule("password", _LDAP_W, hints=("ldap",)),
    *(_rule("password", _command(tool, _SMB_FLAG, stop=_SHELL_STOP), hints=(tool,)) for tool in _SMB_TOOLS),
    _rule("password", _HTPASSWD, hints=("htpasswd",)),
    _rule("password", _HTPASSWD_N, hints=("htpasswd",)),
    _rule("password", _SUDO_PIPE, hints=("sudo",)),
    _rule("password", _LOGIN_P, hints=("login",)),
    _rule("password", _REDIS_A, hints=("redis-cli",)),
    _rule("secret", _GH_SECRET, hints=("secret set",)),
    _rule("password", _NETRC, hints=("login",)),
    _rule("password", _SQL_IDENTIFIED, hints=("identified",), fold=True),
    _rule("password", _SQL_WITH, hints=("password",), fold=True),
    _rule("password", _AUTH_PAIR, hints=("auth=(", "auth = (", "Auth(")),
    _rule("password", _PGPASS, judge=_pgpass_line, flags=re.MULTILINE),
    *(_rule("secret", _name_value_pair(label), hints=("value",), group=_EITHER, judge=_name_value,
            fold=True) for label in ("name", "key")),
    _rule("secret", _XML_SETTING, hints=("</",), judge=_xml_value, fold=True),
    _rule("secret", _FLAG, hints=("--",), group=_EITHER, judge=_flag_value),
    *(_rule("secret", _setting(word), hints=(word,), group=_EITHER, judge=_setting_value,
            fold=True) for word in _SETTING_WORDS),
)


# --- scanning -----------------------------------------------------------------

def _span(rule: _Rule, match: re.Match[str]) -> tuple[int, int]:
    if rule.group == _EITHER:
        return match.span("qv" if match.group("qv") is not None else "bv")
    start, end = match.span(rule.group)
    if "head" in match.re.groupindex:  # the secret began inside a lookbehind
        start = match.start("head")
    return start, end


@functools.cache
def _hint_sets() -> dict[bool, tuple[list[str], object]] | None:
    """For plain and for folded rules: their hints, and one RE2 set that finds which of them
    occur in a single pass (a pass per hint cost more than all the rules' own scans)."""
    try:
        import re2
    except ImportError:
        return None
    options = re2.Options()
    options.max_mem = 64 << 20
    options.log_errors = False
    sets = {}
    for folded in (False, True):
        hints = sorted({h for rule in _RULES if (rule.folded is not None) == folded for h in rule.hints})
        found = re2.Set.SearchSet(options)
        found.Add(r"\A")  # index 0 always matches: its absence means the set failed (out of memory)
        for hint in hints:
            found.Add(re2.escape(hint))
        found.Compile()
        sets[folded] = (hints, found)
    return sets


def _present(text: str, folded: bool) -> set[str] | None:
    """The hints of plain (or folded) rules that occur in `text`; None when RE2 cannot say."""
    sets = _hint_sets()
    if sets is None:
        return None
    hints, found = sets[folded]
    try:
        indices = found.Match(text)
    except Exception:  # text RE2 cannot take (a lone surrogate): the plain checks decide
        return None
    if not indices or indices[0] != 0:
        return None
    return {hints[i - 1] for i in indices[1:]}


def _matches(text: str) -> Iterator[tuple[_Rule, re.Match[str]]]:
    lowered = text.lower()
    same_length = len(lowered) == len(text)
    present = {False: _present(text, False), True: _present(lowered, True)}
    seen: dict[tuple[str, bool], bool] = {}  # rules share hints; each costs a pass over the text

    def occurs(hint: str, folded: bool) -> bool:
        known = present[folded]
        if known is not None:
            return hint in known
        if (hint, folded) not in seen:
            seen[hint, folded] = hint in (lowered if folded else text)
        return seen[hint, folded]

    for rule in _RULES:
        if rule.hints and not any(occurs(hint, rule.folded is not None) for hint in rule.hints):
            continue
        if rule.folded and same_length:
            yield from ((rule, m) for m in rule.folded.finditer(lowered))
        else:
            yield from ((rule, m) for m in rule.pattern.finditer(text))


_Raw = tuple[int, int, tuple[int, int, str], int]


def _raw_findings(text: str) -> Iterator[_Raw]:
    """(start, end, label, match start) for every match its rule's judge accepts.

    The label orders kinds on overlap; the match start tells where the rule's context began.
    """
    for rule, match in _matches(text):
        verdict = rule.judge(match, text) if rule.judge else ""
        if verdict is None:
            continue
        start, end = _span(rule, match)
        if end > start:
            yield start, end, (rule.rank, end - start, verdict or rule.kind), match.start()


_MARKER = re.compile(r"\[REDACTED:[a-z0-9-]+\]")


def _overlaps_marker(text: str) -> Callable[[int, int], bool]:
    """Tells whether a span overlaps an earlier redaction.

    Neither a secret nor its context may lie in a marker: "[REDACTED:password]: x" would else
    read as a setting on the second pass, and redact would not be idempotent.
    """
    spans = [m.span() for m in _MARKER.finditer(text)] if "[REDACTED:" in text else []
    starts = [start for start, _ in spans]

    def overlaps(start: int, end: int) -> bool:
        i = bisect.bisect_left(starts, end)  # markers starting before `end`: the last may overlap
        return i > 0 and spans[i - 1][1] > start

    return overlaps


_Span = tuple[int, int, tuple[int, int, str]]  # start, end, label


def _merge(spans: Iterator[_Raw] | list[_Raw], text: str) -> list[_Span]:
    """Sorted spans with overlaps merged under the highest label, and marker overlaps dropped."""
    overlaps_marker = _overlaps_marker(text)
    merged: list[_Span] = []
    for start, end, label, context in sorted(spans):
        if overlaps_marker(min(start, context), end):
            continue
        if merged and start < merged[-1][1]:
            last_start, last_end, last_label = merged[-1]
            merged[-1] = (last_start, max(last_end, end), max(last_label, label))
        else:
            merged.append((start, end, label))
    return merged


@dataclass(frozen=True)
class _Redacted:
    """Redacted text, and where its markers start with how much longer the text was after each."""

    text: str
    marker_starts: list[int]
    growth_after: list[int]

    def original(self, offset: int) -> int:
        """An offset outside every marker, as an offset into the text before redaction."""
        i = bisect.bisect_left(self.marker_starts, offset)  # markers wholly before `offset`
        return offset - (self.growth_after[i - 1] if i else 0)


def _apply(text: str, spans: list[_Span]) -> _Redacted:
    parts: list[str] = []
    starts: list[int] = []
    growth: list[int] = []
    pos = size = grown = 0
    for start, end, label in spans:
        marker = f"[REDACTED:{label[2]}]"
        parts += (text[pos:start], marker)
        starts.append(size + start - pos)
        grown += len(marker) - (end - start)
        growth.append(grown)
        size += start - pos + len(marker)
        pos = end
    parts.append(text[pos:])
    return _Redacted("".join(parts), starts, growth)


def _find(text: str) -> tuple[list[_Span], str]:
    """Spans to redact and the redacted text.

    A finding can unblock its neighbour (a key glued to the "-----" that ends another looked
    like the tail of a word), so the output is scanned again until it holds nothing new: this
    makes redact idempotent. Text without secrets costs one scan.
    """
    spans = _merge(_raw_findings(text), text)
    out = _apply(text, spans)
    while spans and (extra := _merge(_raw_findings(out.text), out.text)):
        found = [(out.original(s), out.original(e), label) for s, e, label in extra]
        spans = _merge([(s, e, label, s) for s, e, label in spans + found], text)
        out = _apply(text, spans)
    return spans, out.text


def find_secrets(text: str) -> list[Finding]:
    """Secrets in `text` in order; overlapping ones merged and named by the most specific rule."""
    spans, _ = _find(text)
    return [Finding(label[2], start, end) for start, end, label in spans]


def redact(text: str) -> str:
    """`text` with every secret replaced by "[REDACTED:<kind>]"; everything else byte-identical."""
    return _find(text)[1]


# --- URLs ---------------------------------------------------------------------

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s'\"<>`]+")
_USERINFO = re.compile(r"(?<=://)(?P<user>[^\s:/?#@]+)(?P<rest>(?::[^\s/?#]*)?)@")
_QUERY_PARAM = re.compile(r"(?<=[?&;#])(?P<name>[A-Za-z0-9_.\-]{1,80})=(?P<v>[^&;#\s]+)")
# Query parameters that carry a credential whatever their value looks like.
_SECRET_PARAMS = frozenset(
    "access_token accesstoken api_key apikey auth auth_token code client_secret id_token key "
    "password passwd private_token refresh_token secret sig signature token x-amz-credential "
    "x-amz-security-token x-amz-signature x-goog-signature x-goog-credential".split()
)


def redact_url(text: str) -> str:
    """`redact(text)`, and in every URL the credential parts too: a user name that looks like a
    token (https://TOKEN@host), and secret-named query parameters (?private_token=…, &sig=…).
    For error messages and stored source URLs, where the whole URL is farm's to show."""
    text = redact(text)
    return _URL.sub(lambda m: _clean_url(m.group()), text) if "://" in text else text


def _clean_url(url: str) -> str:
    def userinfo(m: re.Match[str]) -> str:
        user, rest = m.group("user"), m.group("rest")
        if rest and "[REDACTED:" not in rest and len(rest) > 1:
            rest = ":[REDACTED:url-password]"
        token_like = len(user) >= 16 and _looks_random(user) and "[REDACTED:" not in user
        return ("[REDACTED:token]" if token_like else user) + rest + "@"

    def param(m: re.Match[str]) -> str:
        name, value = m.group("name"), m.group("v")
        secret = name.lower() in _SECRET_PARAMS or _key_kind(name) not in (None, _VENDOR_KEY)
        if not secret or value.startswith("[REDACTED:") or len(value) < 3:
            return m.group()
        return f"{name}=[REDACTED:token]"

    url = _USERINFO.sub(userinfo, url, count=1)
    return _QUERY_PARAM.sub(param, url) if "=" in url else url
