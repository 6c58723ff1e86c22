"""Decide whether a newly captured miss recurs an existing correction.

Method (no models, no network; pure Python + snowballstemmer):

* Text is normalised the generic way for software prose: camelCase,
  snake_case and paths split; English stopwords and one-letter fragments
  dropped; common irregular verbs and software abbreviations mapped to one
  spelling; then Snowball-stemmed, so "hallucinated"/"hallucinates",
  "wrote"/"writes" and "repo"/"repository" meet.
* Every term is weighted by how rare it is, twice over: a smoothed IDF taken
  from the corrections themselves (rare words in this farm say more), blended
  (PRIOR_WEIGHT) with its rarity in general English (word frequencies from the
  `wordfreq` package: "the" weighs least, "takeaway" much more, a word English
  never uses most).  The farm's own IDF alone is unstable in a small farm, and
  it makes a score mean different things in different farms; with the prior
  the score keeps one scale, so one threshold holds for farms it was not tuned
  on (leave-source-out folds on the development set: precision 0.84 -> 0.90 at
  the same recall; see bench/eval_match.py).
* Three views of likeness are combined (weighted geometric mean), since
  they fail differently:
  - cosine of TF-IDF vectors over words and adjacent word pairs: the
    classic symmetric similarity, normalised for the correction's length;
  - coverage: the share of the report's IDF mass that the correction
    contains, over words and over ordered word pairs a few words apart
    ("removes ... comments", "line ... endings").  Words no correction uses
    count in the report's mass, so a report full of other matters scores low.
    It counts twice: a recurrence is explained by its correction;
  - reverse coverage: the share of the correction's own IDF mass that the
    report restates.  A repeat restates the correction's core failure; a
    report that only shares the area's vocabulary covers little of it.
  Fields count unequally: the rule states the behaviour that recurs, so it
  weighs most; the title and the account of what went wrong less.
* The score (0..100) is the square root of that mean, which spreads the
  range where paraphrases land; a verbatim restatement scores near 100.
* A confirmed recurrence (one a person recorded with `farm capture`) adds its
  text to its correction as another phrasing, weighed like "what went wrong":
  the next report worded like it finds the correction.
* Kind of report: a correction records a behaviour of the agent.  A report
  whose headline (first line, first sentence) is a request ("Feature: ...",
  "Add support for ...", "Extend ...") or a software error ("fails with",
  "exception", "crash", an HTTP status) describes another kind of thing:
  it is discounted against each correction that shows no such cue itself
  (one factor per cue kind; a correction about a crash keeps its score).
* The verdict needs the best score to clear the threshold *and* to beat the
  runner-up correction by a ratio: a miss sitting between two close
  corrections (opposite behaviours, neighbouring symptoms) is not called.
* Speed: an inverted index of words finds the corrections sharing a word;
  pairs are scored only for the best of those, straight from the stored
  tokens (no index of pairs, so memory stays small); with thousands of
  corrections the very common words stop nominating candidates.
"""

from __future__ import annotations

import heapq
from array import array
import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import snowballstemmer

DEFAULT_THRESHOLD: float = 29.5
# The share of a word's weight that comes from its rarity in general English (the rest:
# its rarity among this farm's corrections). Leave-source-out folds are flat from 0.3 to
# 0.5; the middle is taken. A farm of a few corrections says little about which words
# are rare, so its share shrinks as if PRIOR_COUNT more corrections agreed with English.
PRIOR_WEIGHT: float = 0.4
PRIOR_COUNT: float = 2.0
# The best score must be at least this many times the runner-up's.
MARGIN_RATIO: float = 1.1
# Exponents of the geometric mean: cosine, coverage, reverse coverage.
VIEW_WEIGHTS = (1.0, 2.0, 1.0)
# Factor on the score per kind of cue in the report's headline that the
# correction does not show (see REPORT_CUES).
CUE_DISCOUNT = 0.6
# Factor on the score when the correction names a coding agent as the actor and the
# report names none: such reports are mostly about a tool, an editor or a person doing
# the same thing (see AGENT_WORDS).
ACTOR_DISCOUNT = 0.8

# Relative trust in each field of a correction (the strongest is 1).
FIELD_WEIGHTS = {"title": 2 / 3, "what": 2 / 3, "rule": 1.0, "signature": 1.0, "phrasing": 2 / 3}
# Word pairs for coverage are taken up to this many positions apart.
PAIR_WINDOW = 4
# Candidates (by single words) whose word pairs are scored; in a corpus of
# ordinary size that is every correction sharing a word with the query.
RERANK = 100
# Words in more than max(COMMON_DF, N/8) corrections do not nominate
# candidates (they only add to the score of those that rarer words nominate):
# a speed measure that only acts in corpora of thousands of corrections.
COMMON_DF = 1000

# Generic English function words; nothing here is specific to any data set.
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been
before being below between both but by can cannot could did do does doing down
during each few for from further had has have having he her here hers herself
him himself his how i if in into is it its itself let me more most my myself
no nor not of off on once only or other ought our ours ourselves out over own
same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were
what when where which while who whom why with would you your yours yourself
yourselves also just even still yet etc via ll re ve don doesn didn isn aren
wasn weren won wouldn shouldn couldn hasn haven hadn
""".split())

# Common English irregular verb forms -> base form (the stemmer leaves
# "wrote" and "write" apart).
IRREGULAR = {
    "wrote": "write", "written": "write", "rewrote": "rewrite",
    "rewritten": "rewrite", "overwrote": "overwrite", "overwritten": "overwrite",
    "ran": "run", "made": "make", "did": "do", "done": "do", "went": "go",
    "gone": "go", "saw": "see", "seen": "see", "took": "take", "taken": "take",
    "gave": "give", "given": "give", "told": "tell", "said": "say",
    "thought": "think", "found": "find", "got": "get", "gotten": "get",
    "kept": "keep", "left": "leave", "began": "begin", "begun": "begin",
    "broke": "break", "broken": "break", "chose": "choose", "chosen": "choose",
    "forgot": "forget", "forgotten": "forget", "knew": "know", "known": "know",
    "lost": "lose", "meant": "mean", "sent": "send", "spent": "spend",
    "stood": "stand", "understood": "understand", "built": "build",
    "brought": "bring", "bought": "buy", "caught": "catch", "fell": "fall",
    "fallen": "fall", "felt": "feel", "held": "hold", "hid": "hide",
    "hidden": "hide", "led": "lead", "shown": "show", "threw": "throw",
    "thrown": "throw", "undid": "undo", "undone": "undo", "wore": "wear",
    "worn": "wear", "drew": "draw", "drawn": "draw", "ate": "eat",
    "eaten": "eat", "became": "become", "came": "come",
}

# Common software abbreviations -> the full word, so both spellings meet.
ABBREVIATIONS = {
    "docs": "documentation", "doc": "documentation", "repo": "repository",
    "repos": "repository", "config": "configuration", "cfg": "configuration",
    "dir": "directory", "dirs": "directory", "env": "environment",
    "deps": "dependency", "dep": "dependency", "func": "function",
    "fn": "function", "args": "argument", "arg": "argument",
    "params": "parameter", "param": "parameter", "msg": "message",
    "impl": "implementation", "auth": "authentication", "db": "database",
    "md": "markdown", "lib": "library", "libs": "library", "pkg": "package",
    "cmd": "command", "prod": "production", "dev": "development",
    "perms": "permission", "perm": "permission", "util": "utility",
    "utils": "utility",
}


# Generic cues of reports that are not a behaviour of the agent: feature
# requests and software errors.  Short lists of common issue-tracker phrasing;
# nothing here is specific to any data set.
REPORT_CUES = {
    "request": re.compile(
        r"\b(feature|extend|add support|support for|would be (nice|great|good)|"
        r"option to|allow\w* \w+ to|i'?d like|please add|proposal)\b", re.I),
    "error": re.compile(
        r"\b(errors?|exceptions?|crash\w*|fail\w*|panic\w*|traceback|"
        r"http \d{3}|[45]\d\d)\b", re.I),
}
# The field's coding agents and the generic words for one: who a correction is about.
AGENT_WORDS = re.compile(
    r"\b(agents?|subagents?|ai|llms?|models?|assistants?|claude|copilot|codex|gemini|cursor|"
    r"chatgpt|gpt|opencode|cline|roo|kiro|goose|qwen|aider|windsurf|devin|amp)\b", re.I)
_SENTENCE_END = re.compile(r"[.!?](\s|$)")


def headline(text: str) -> str:
    """The report's first line, up to the end of its first sentence."""
    line = text.strip().split("\n", 1)[0]
    end = _SENTENCE_END.search(line)
    return line[:end.start()] if end else line


def cues(text: str) -> frozenset[str]:
    """The kinds of REPORT_CUES that `text` shows."""
    return frozenset(k for k, rx in REPORT_CUES.items() if rx.search(text))


@dataclass(frozen=True)
class MatchDoc:
    id: str
    title: str
    what: str
    rule: str = ""
    signature: tuple[str, ...] = ()
    # How people described the failure when they recorded a recurrence of it by hand:
    # more ways the same failure gets reported, counted like the account of what went wrong.
    phrasings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    id: str
    title: str
    score: float
    recurrence: bool


_STEMMER = snowballstemmer.stemmer("english")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Apostrophes split words ("don't" -> "don", "t"); the fragments are stopwords
# or one letter long, so contractions vanish without a list of their own.
_WORD = re.compile(r"[a-z][a-z0-9]*")


def _words(text: str) -> list[str]:
    """Lower-cased content words, with camelCase/snake_case/paths split."""
    text = _CAMEL.sub(" ", unicodedata.normalize("NFKC", text)).lower()
    words = (IRREGULAR.get(w) or ABBREVIATIONS.get(w, w) for w in _WORD.findall(text))
    return [w for w in words if len(w) > 1 and w not in STOPWORDS]


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    # Snowball is pure Python and slow; corpora repeat words, so cache.
    return _STEMMER.stemWord(word)


def tokens(text: str) -> list[str]:
    """Stemmed content words of `text`, in order."""
    return [_stem(w) for w in _words(text)]


def english_rarity(word: str) -> float:
    """How rare `word` is in general English: 0.15 for "the", about 2 for "takeaway", 4 for a
    word English does not use (half of 8 minus its Zipf frequency, from wordfreq)."""
    from farm.english import zipf

    return (8.0 - zipf([word])[word]) / 2.0


def rarities(text: str) -> dict[str, float]:
    """stem -> the English rarity of its most common form in `text`."""
    return _rarities(_words(text))


def _rarities(words: Iterable[str]) -> dict[str, float]:
    from farm.english import zipf

    frequency = zipf(words)
    out: dict[str, float] = {}
    for word in frequency:
        stem, rarity = _stem(word), (8.0 - frequency[word]) / 2.0
        if rarity < out.get(stem, 5.0):
            out[stem] = rarity
    return out


Term = str | tuple[str, str]  # a word, or an ordered pair of words


def phrase_terms(toks: Sequence[str]) -> Counter:
    """Word and adjacent-pair counts: the cosine view."""
    out: Counter = Counter(toks)
    out.update((a, b) for a, b in zip(toks, toks[1:]) if a != b)
    return out


def cover_terms(toks: Sequence[str]) -> set[Term]:
    """Words and ordered pairs up to PAIR_WINDOW apart: the coverage view."""
    out: set[Term] = set(toks)
    for i, a in enumerate(toks):
        out.update((a, b) for b in toks[i + 1:i + 1 + PAIR_WINDOW] if a != b)
    return out


Fields = tuple[tuple[float, tuple[str, ...]], ...]  # (field weight, tokens)


def _fields(doc: MatchDoc, words: set[str]) -> Fields:
    """The doc's weighted fields of stems; adds the words they came from to `words`."""
    # Each signature phrase is a field of its own, so no pair spans two.
    texts = [("title", doc.title), ("what", doc.what), ("rule", doc.rule)]
    texts += [("signature", phrase) for phrase in doc.signature]
    texts += [("phrasing", text) for text in doc.phrasings]
    out = []
    for field, text in texts:
        found = _words(text)
        words.update(found)
        out.append((FIELD_WEIGHTS[field], tuple(_stem(w) for w in found)))
    return tuple(out)


def _doc_counts(fields: Fields) -> tuple[Counter, dict[str, float]]:
    """Field-weighted counts of words and adjacent pairs; best field of each word."""
    counts: Counter = Counter()
    best: dict[str, float] = {}
    for weight, toks in fields:
        for term, n in phrase_terms(toks).items():
            counts[term] += weight * n
        for tok in toks:
            best[tok] = max(best.get(tok, 0.0), weight)
    return counts, best


def _pairs_in_doc(fields: Fields, words: set[str]) -> tuple[Counter, dict]:
    """Pairs of the given words in a doc: adjacent counts and best field weight."""
    adjacent: Counter = Counter()
    near: dict[tuple[str, str], float] = {}
    for weight, toks in fields:
        hits = [(k, t) for k, t in enumerate(toks) if t in words]
        for x, (k, a) in enumerate(hits):
            for m, b in hits[x + 1:]:
                if m - k > PAIR_WINDOW:
                    break
                if a == b:
                    continue
                if m - k == 1:
                    adjacent[a, b] += weight
                if near.get((a, b), 0.0) < weight:
                    near[a, b] = weight
    return adjacent, near


@dataclass
class _Query:
    words: set[str]
    cos: dict[Term, float]    # TF-IDF weights, not yet normalised
    cos_norm: float
    cover: set[Term]
    cover_mass: float
    cues: frozenset[str]
    names_agent: bool


def _columns(postings: list[tuple[int, float, float]]) -> tuple:
    """Postings as three flat arrays: a tenth of the memory, and they load from the cache at once."""
    ids, doc_weights, field_weights = zip(*postings)
    return array("l", ids), array("d", doc_weights), array("d", field_weights)


class Matcher:
    """Ranks corrections against a new miss; see the module docstring."""

    def __init__(self, docs: Iterable[MatchDoc], threshold: float | None = None):
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        self.docs = list(docs)
        words: set[str] = set()
        self._fields = [_fields(d, words) for d in self.docs]
        n = len(self.docs)
        df: Counter = Counter()
        for fields in self._fields:
            df.update({t for _, toks in fields for t in toks})
        # Smoothed and always positive; a word no correction uses weighs most.
        self._unseen = math.log((n + 1) / 0.5)
        self._prior_share = PRIOR_WEIGHT + (1.0 - PRIOR_WEIGHT) * PRIOR_COUNT / (PRIOR_COUNT + n)
        prior = _rarities(words)
        self._idf = {t: self._blend(prior.get(t, 4.0), math.log((n + 1) / (k + 0.5))) for t, k in df.items()}
        self._extra: dict[str, float] = {}  # the weights of the current query's words no correction uses
        self._norms: list[float] = []
        self._masses: list[float] = []
        self._cues = [cues("\n".join([d.title, d.what, d.rule, *d.signature, *d.phrasings])) for d in self.docs]
        self._names_agent = [bool(AGENT_WORDS.search(f"{d.title}\n{d.what}")) for d in self.docs]
        postings: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
        for i, fields in enumerate(self._fields):
            self._add(i, fields, postings)
        # word -> (doc indexes, doc weights, field weights), as flat arrays
        self._index: dict[str, tuple] = {w: _columns(p) for w, p in postings.items()}
        self._common: dict[str, tuple] = {}
        self._common_maps: dict[str, dict[int, tuple[float, float]]] = {}  # built on first use
        self._split_common()

    def _blend(self, rarity: float, farm_idf: float) -> float:
        return self._prior_share * rarity + (1.0 - self._prior_share) * farm_idf

    # Pickled under FARM_HOME (farm/matchcache.py) and loaded before every match. Once built,
    # a matcher reads only each doc's id and title (the rest lives in _fields), so only those
    # are kept, as tuples: a quarter less to read, and tuples load many times faster than
    # dataclass objects.
    def __getstate__(self) -> dict:
        for i in range(len(self.docs)):
            self._mass(i)  # computed once here rather than in every command that loads it
        state = dict(vars(self), _common_maps={})
        state["docs"] = [(d.id, d.title) for d in self.docs]
        return state

    def __setstate__(self, state: dict) -> None:
        state["docs"] = [MatchDoc(doc_id, title, "") for doc_id, title in state["docs"]]
        vars(self).update(state)

    def idf(self, term: Term) -> float:
        get = self._idf.get
        if isinstance(term, str):
            weight = get(term)
            return weight if weight is not None else self._extra.get(term, self._unseen)
        # A pair is at least as rare as its rarer word; that lower bound
        # spares storing statistics for millions of pairs.
        a, b = get(term[0]), get(term[1])
        if a is None:
            a = self._extra.get(term[0], self._unseen)
        if b is None:
            b = self._extra.get(term[1], self._unseen)
        return a if a > b else b

    def _add(self, i: int, fields: Fields, postings: dict) -> None:
        counts, best = _doc_counts(fields)
        # log(1 + tf): repeating a word says less than using another one.
        idf = self._idf  # every term of a correction is there: no query words to consider
        vec = {t: math.log1p(c) * (idf[t] if isinstance(t, str) else max(idf[t[0]], idf[t[1]]))
               for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        self._norms.append(norm)
        self._masses.append(0.0)  # computed when first needed: see _mass
        for word, field_weight in best.items():
            postings[word].append((i, vec[word] / norm, field_weight))

    def _split_common(self) -> None:
        """Move the postings of very common words to per-doc lookup tables.

        Such words add little to any score but cost most of a query's time in
        a big corpus, so they no longer nominate candidates; their share is
        added to the candidates that rarer words nominate.
        """
        limit = max(COMMON_DF, len(self.docs) // 8)
        for word in [w for w, postings in self._index.items() if len(postings[0]) > limit]:
            self._common[word] = self._index.pop(word)

    def _query(self, text: str, toks: list[str]) -> _Query:
        self._extra = {stem: self._blend(rarity, self._unseen)
                       for stem, rarity in rarities(text).items() if stem not in self._idf}
        cos = {t: math.log1p(c) * self.idf(t) for t, c in phrase_terms(toks).items()}
        cover = cover_terms(toks)
        return _Query(set(toks), cos, math.sqrt(sum(w * w for w in cos.values())),
                      cover, sum(self.idf(t) for t in cover), cues(headline(text)),
                      bool(AGENT_WORDS.search(text)))

    def _postings(self, word: str) -> Iterable[tuple[int, float, float]]:
        cols = self._common.get(word) or self._index.get(word)
        return zip(*cols) if cols else ()

    def _word_pass(self, q: _Query, words: Iterable[str]) -> tuple[dict, dict]:
        """Dot product and covered mass from single words (inverted index)."""
        dot: dict[int, float] = defaultdict(float)
        covered: dict[int, float] = defaultdict(float)
        for word in words:
            qw, idf = q.cos[word], self.idf(word)
            for i, dw, field_weight in self._postings(word):
                dot[i] += qw * dw
                covered[i] += idf * field_weight
        return dot, covered

    def _common_pass(self, i: int, q: _Query, words: list[str]) -> tuple[float, float]:
        """Dot product and covered mass from the very common words, for one candidate."""
        dot = covered = 0.0
        for word in words:
            hit = self._common_map(word).get(i)
            if hit:
                dot += q.cos[word] * hit[0]
                covered += self.idf(word) * hit[1]
        return dot, covered

    def _common_map(self, word: str) -> dict[int, tuple[float, float]]:
        if word not in self._common_maps:
            ids, doc_weights, field_weights = self._common[word]
            self._common_maps[word] = dict(zip(ids, zip(doc_weights, field_weights)))
        return self._common_maps[word]

    def _pair_pass(self, i: int, q: _Query) -> tuple[float, float]:
        """Dot product and covered mass from word pairs, for one candidate."""
        adjacent, near = _pairs_in_doc(self._fields[i], q.words)
        dot = sum(q.cos[p] * math.log1p(c) * self.idf(p)
                  for p, c in adjacent.items() if p in q.cos) / self._norms[i]
        covered = sum(self.idf(p) * w for p, w in near.items() if p in q.cover)
        return dot, covered

    def _mass(self, i: int) -> float:
        """The correction's own coverage mass: its words and near pairs, each
        at the weight of the strongest field that holds it (cached)."""
        if not self._masses[i]:
            best: dict[Term, float] = {}  # term -> weight of its strongest field
            get = best.get
            for weight, toks in self._fields[i]:
                for k, a in enumerate(toks):
                    if get(a, 0.0) < weight:
                        best[a] = weight
                    for b in toks[k + 1:k + 1 + PAIR_WINDOW]:
                        if a != b and get((a, b), 0.0) < weight:
                            best[a, b] = weight
            idf = self._idf  # every word of a correction has its weight there
            self._masses[i] = sum(
                w * (idf[t] if isinstance(t, str) else max(idf[t[0]], idf[t[1]]))
                for t, w in best.items()) or 1.0
        return self._masses[i]

    def _score(self, i: int, q: _Query, dot: float, covered: float) -> float:
        """Combine the views of one candidate into its score (0..100)."""
        views = (dot / q.cos_norm, covered / q.cover_mass, covered / self._mass(i))
        mean = math.prod(max(v, 0.0) ** w for v, w in zip(views, VIEW_WEIGHTS))
        score = 100.0 * min(mean ** (1.0 / sum(VIEW_WEIGHTS)), 1.0) ** 0.5
        score *= CUE_DISCOUNT ** len(q.cues - self._cues[i])
        return score * ACTOR_DISCOUNT if self._names_agent[i] and not q.names_agent else score

    def scores(self, query: str, depth: int = RERANK,
               exclude: frozenset[int] = frozenset()) -> list[tuple[float, int]]:
        """(score 0..100, doc index), best first, for docs sharing a word.

        Words pick the candidates; pairs are scored for the `depth` best of
        them only (all of them in any corpus of ordinary size).  Docs whose
        index is in `exclude` are left out.
        """
        toks = tokens(query)
        if not toks or not self.docs:
            return []
        q = self._query(query, toks)
        common = [w for w in q.words if w in self._common]
        dot, covered = self._word_pass(q, q.words.difference(common))
        if not dot:  # nothing but very common words: let them nominate after all
            dot, covered = self._word_pass(q, common)
            common = []
        for i in exclude:
            dot.pop(i, None)
        best = heapq.nlargest(depth, dot, key=lambda i: dot[i] * covered[i])
        out = []
        for i in best:
            extra = [self._pair_pass(i, q), self._common_pass(i, q, common)]
            out.append((self._score(i, q, dot[i] + sum(d for d, _ in extra),
                                    covered[i] + sum(c for _, c in extra)), i))
        out.sort(key=lambda si: (-si[0], si[1]))
        return out

    def is_recurrence(self, best: float, runner_up: float) -> bool:
        """The verdict: clear the threshold and lead the runner-up clearly."""
        return best >= self.threshold and best >= MARGIN_RATIO * runner_up

    def match(self, query: str, limit: int = 5) -> list[Match]:
        """Best matches first; only the first can be a recurrence."""
        return self._match(query, limit, frozenset())

    def match_excluding(self, query: str, exclude_id: str, limit: int = 5) -> list[Match]:
        """Like match(), against every correction but the one(s) with `exclude_id`.

        The verdict is the same, with the runner-up taken among the others;
        word weights (IDF) stay those of the whole corpus.  One matcher thus
        serves a look-alike check of every correction against the rest.
        """
        return self._match(query, limit, frozenset(
            i for i, d in enumerate(self.docs) if d.id == exclude_id))

    def _match(self, query: str, limit: int, exclude: frozenset[int]) -> list[Match]:
        if limit <= 0 or not query or not query.strip():
            return []
        ranked = self.scores(query, depth=max(RERANK, limit), exclude=exclude)
        if not ranked:
            return []
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        called = self.is_recurrence(ranked[0][0], runner_up)
        return [Match(self.docs[i].id, self.docs[i].title, round(s, 1), called and k == 0)
                for k, (s, i) in enumerate(ranked[:limit])]
