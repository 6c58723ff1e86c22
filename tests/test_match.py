"""farm.match: ranking, the recurrence verdict, edge cases, and the dev-set figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from farm.match import CUE_DISCOUNT, DEFAULT_THRESHOLD, Match, Matcher, MatchDoc, cues, headline, tokens

DEV = Path(__file__).parents[2] / "shared/eval/recurrence-dev"

CORPUS = [
    MatchDoc("c-tabs", "Agent replaced tabs with spaces in a Makefile",
             "After the agent edited the Makefile every recipe line was indented with "
             "spaces instead of tabs, so make failed with 'missing separator'.",
             "Keep tab indentation in Makefiles; never convert tabs to spaces there."),
    MatchDoc("c-force-push", "Agent force-pushed over a teammate's commits",
             "Asked to sync the branch, the agent ran git push --force and overwrote "
             "two commits a teammate had pushed to the shared branch.",
             "Never force-push a shared branch; fetch and rebase or merge instead, "
             "and ask before any history rewrite."),
    MatchDoc("c-skip-tests", "Agent disabled failing tests instead of fixing the code",
             "When the test suite failed, the agent marked the failing tests as skipped "
             "and reported that everything passed.",
             "Fix the code under test; never skip, delete or weaken a failing test to "
             "make the suite pass."),
    MatchDoc("c-secrets", "Agent committed an API key to the repository",
             "The agent hard-coded the production API key in config.py and committed "
             "it, so the secret ended up in git history.",
             "Never write secrets into source files; read them from the environment "
             "and keep them out of commits."),
    MatchDoc("c-lockfile", "Agent deleted the lockfile to fix an install error",
             "On a dependency conflict the agent removed package-lock.json and "
             "regenerated it, upgrading dozens of unrelated packages.",
             "Resolve dependency conflicts without deleting the lockfile; change only "
             "the packages the task needs."),
    MatchDoc("c-timezone-utc", "Agent stored local times instead of UTC timestamps",
             "The agent wrote naive local datetimes into the database, so events "
             "were shifted by the server's timezone offset.",
             "Store timestamps in UTC with an explicit timezone; convert to local "
             "time only for display."),
    MatchDoc("c-timezone-local", "Agent showed UTC timestamps to users instead of local time",
             "The agent rendered raw UTC timestamps in the user interface, so users "
             "saw times hours off from their own timezone.",
             "Convert UTC timestamps to the user's local timezone before display."),
]

DUPLICATE = ("The assistant again turned the tab indentation of our Makefile into spaces "
             "and make stopped with a missing separator error.")
UNRELATED = "The documentation website returns a 404 for the installation page."


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(CORPUS)


def test_paraphrase_ranks_first_and_is_a_recurrence(matcher):
    matches = matcher.match(DUPLICATE)
    assert matches[0].id == "c-tabs"
    assert matches[0].recurrence
    assert matches[0].score >= DEFAULT_THRESHOLD


@pytest.mark.parametrize("query, expected", [
    ("Codex did a git push --force on the shared branch and wiped out my colleague's commits.",
     "c-force-push"),
    ("Tests were failing so it just added skip markers to them and said the suite passed.",
     "c-skip-tests"),
    ("It hardcoded our API key in the source and committed the secret to git.", "c-secrets"),
])
def test_other_paraphrases_find_their_correction(matcher, query, expected):
    matches = matcher.match(query)
    assert matches[0].id == expected
    assert matches[0].recurrence


def test_unrelated_text_is_not_a_recurrence(matcher):
    assert not any(m.recurrence for m in matcher.match(UNRELATED))


def test_query_between_two_close_corrections_is_not_called(matcher):
    # Equally near both timezone corrections: the margin must withhold the verdict.
    matches = matcher.match("Agent confused UTC and local timestamps again.")
    assert {m.id for m in matches[:2]} == {"c-timezone-utc", "c-timezone-local"}
    assert matches[0].score < 1.1 * matches[1].score  # the premise: neither leads clearly
    assert not any(m.recurrence for m in matches)


def test_at_most_one_recurrence_and_it_is_first(matcher):
    queries = [DUPLICATE, UNRELATED, "agent timestamps", "tests skipped key committed lockfile"]
    queries += [f"{d.title}. {d.what} {d.rule}" for d in CORPUS]
    for query in queries:
        matches = matcher.match(query, limit=10)
        flags = [m.recurrence for m in matches]
        assert sum(flags) <= 1
        assert not any(flags[1:])


def test_matches_are_sorted_and_scores_bounded(matcher):
    matches = matcher.match("agent tests key lockfile timezone makefile branch", limit=10)
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 100 for s in scores)
    assert all(isinstance(m, Match) for m in matches)


def test_verbatim_restatement_scores_high(matcher):
    doc = CORPUS[1]
    best = matcher.match(f"{doc.title}. {doc.what} {doc.rule}")[0]
    assert best.id == doc.id and best.recurrence and best.score > 80


def test_limit_is_respected(matcher):
    query = "agent tests key lockfile timezone makefile branch"
    assert len(matcher.match(query, limit=2)) == 2
    assert len(matcher.match(query, limit=1)) == 1
    assert matcher.match(query, limit=0) == []
    assert len(matcher.match(query, limit=100)) <= len(CORPUS)


def test_empty_corpus_matches_nothing():
    assert Matcher([]).match(DUPLICATE) == []


@pytest.mark.parametrize("query", ["", "   ", "\n\t ", "🚀✅🔥", "!!! ... ??? --- ///", "the and of it"])
def test_queries_without_content_words_match_nothing(matcher, query):
    assert matcher.match(query) == []


def test_threshold_argument_controls_the_verdict():
    assert not Matcher(CORPUS, threshold=100.1).match(DUPLICATE)[0].recurrence
    assert Matcher(CORPUS, threshold=0).match(DUPLICATE)[0].recurrence


def test_signature_phrases_take_part():
    docs = [MatchDoc("a", "Build broke", "The build broke.", signature=("ENOSPC watcher limit",)),
            MatchDoc("b", "Build broke again", "The build broke again.")]
    assert Matcher(docs).match("enospc watcher limit reached")[0].id == "a"


def test_single_doc_corpus_can_still_call():
    matches = Matcher([CORPUS[0]]).match(DUPLICATE)
    assert [m.id for m in matches] == ["c-tabs"] and matches[0].recurrence


def _synthetic(n: int) -> list[MatchDoc]:
    # Every doc shares "widget"; each also has two words of its own.
    return [MatchDoc(f"s{i}", f"widget alpha{i:04d}x", f"widget broke beta{i:04d}y") for i in range(n)]


def test_limit_beyond_the_rerank_depth():
    matches = Matcher(_synthetic(200)).match("widget", limit=150)
    assert len(matches) == 150


def test_very_common_words_in_a_big_corpus():
    matcher = Matcher(_synthetic(1200))  # "widget" is in all 1200: too common to nominate
    best = matcher.match("widget alpha0042x beta0042y")[0]
    assert best.id == "s42" and best.recurrence
    # A query of nothing but the common word still finds corrections.
    assert len(matcher.match("widget broke", limit=3)) == 3


def test_tokens_normalise_software_prose():
    assert tokens("getUserName") == ["get", "user", "name"]
    assert tokens("node_modules") == ["node", "modul"]
    assert tokens("It wrote CRLF") == tokens("it writes crlf")
    assert tokens("the repo's config") == tokens("repository configuration")
    assert tokens("don't") == []


def test_match_excluding_leaves_the_doc_out_and_keeps_the_verdict(matcher):
    full = matcher.match(DUPLICATE, limit=10)
    rest = matcher.match_excluding(DUPLICATE, "c-tabs", limit=10)
    assert full[0].id == "c-tabs"
    assert "c-tabs" not in {m.id for m in rest}
    # The others keep their scores (same corpus statistics) and order.
    assert [(m.id, m.score) for m in rest] == [(m.id, m.score) for m in full[1:]]
    for matches in (rest, matcher.match_excluding(DUPLICATE, "no-such-id", limit=10)):
        flags = [m.recurrence for m in matches]
        assert not any(flags[1:])
    assert [(m.id, m.recurrence) for m in matcher.match_excluding(DUPLICATE, "no-such-id", limit=10)] \
        == [(m.id, m.recurrence) for m in full]


def test_match_excluding_takes_the_runner_up_among_the_others(matcher):
    # Between the two timezone corrections nothing is called; without one of
    # them the other stands alone, and the verdict follows its own score.
    query = "The agent stored naive local datetimes in the database instead of UTC timestamps."
    rest = matcher.match_excluding(query, "c-timezone-local")
    assert rest[0].id == "c-timezone-utc"
    runner_up = rest[1].score if len(rest) > 1 else 0.0
    assert rest[0].recurrence == matcher.is_recurrence(rest[0].score, runner_up)
    assert matcher.match_excluding(query, "c-tabs", limit=0) == []
    assert matcher.match_excluding("", "c-tabs") == []


def test_headline_is_the_first_sentence_of_the_first_line():
    assert headline("Feature: add X. It should do Y.") == "Feature: add X"
    assert headline("Title without stop\nbody. more") == "Title without stop"
    assert headline("  v1.2 broke it! details") == "v1.2 broke it"


def test_cues_of_requests_and_errors():
    assert cues("Feature: add eslint-disable comments") == {"request"}
    assert cues("Please add support for uv") == {"request"}
    assert cues("Build fails with HTTP 403") == {"error"}
    assert cues("Agent deleted the comments I wrote") == set()


def test_a_request_headline_is_discounted(matcher):
    report = "Agent replaced tabs with spaces in the Makefile"
    request = "Feature: replace tabs with spaces in the Makefile automatically"
    plain = matcher.match(report)[0]
    asked = matcher.match(request)[0]
    assert plain.id == asked.id == "c-tabs" and plain.recurrence
    assert asked.score < plain.score
    # The same words in the body, not the headline, are not a request.
    body = matcher.match(report + ". A feature like this came up before.")[0]
    assert body.id == "c-tabs" and body.score > asked.score


def test_an_error_cue_is_not_discounted_against_a_correction_showing_it():
    docs = [MatchDoc("crash", "Agent wrote emoji into print calls",
                     "The script crashed with UnicodeEncodeError on Windows.", "No emoji in code."),
            MatchDoc("plain", "Agent wrote emoji into commit messages",
                     "Commit messages got emoji.", "No emoji in commit messages.")]
    m = Matcher(docs)
    query = "Script crashes: agent wrote emoji into print calls again"
    by_id = {x.id: x.score for x in m.match(query)}
    unmarked = {x.id: x.score for x in m.match("Agent wrote emoji into print calls again. Script crashes")}
    assert by_id["crash"] > by_id["plain"]
    assert 0 < CUE_DISCOUNT < 1 and by_id["plain"] < unmarked["plain"]


def _load(name: str) -> list[dict]:
    with open(DEV / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.mark.skipif(not (DEV / "probes.jsonl").is_file(),
                    reason=f"recurrence-dev set not found at {DEV}")
def test_dev_set_figures():
    corrections, probes = _load("corrections.jsonl"), _load("probes.jsonl")
    matcher = Matcher(MatchDoc(c["key"], c["title"], c["what_went_wrong"], c["rule"])
                      for c in corrections)
    calls = correct = top1 = 0
    for probe in probes:
        matches = matcher.match(probe["text"])
        call = next((m.id for m in matches if m.recurrence), None)
        calls += call is not None
        correct += call is not None and call == probe["label"]
        top1 += bool(probe["label"] and matches and matches[0].id == probe["label"])
    n_dup = sum(1 for p in probes if p["label"])
    precision, recall = correct / calls, correct / n_dup
    # Measured at DEFAULT_THRESHOLD (29.5), on the whole set it was chosen on: precision
    # 0.972, recall 0.493, top-1 0.845 (36 calls, 1 false).
    assert precision >= 0.95 and recall >= 0.48 and top1 / n_dup >= 0.84


@pytest.mark.skipif(not (DEV / "probes.jsonl").is_file(),
                    reason=f"recurrence-dev set not found at {DEV}")
def test_leave_source_out_figures():
    """The estimate for unseen reports: each source's fold scored with a threshold tuned on the others."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
    import eval_match

    corrections, probes = eval_match.load(DEV)
    pooled = eval_match.leave_source_out(corrections, probes)["pooled"]["tuned"]
    # Measured: precision 0.902 (37/41), recall 0.521, over three folds.
    assert pooled["precision"] >= 0.9 and pooled["recall"] >= 0.5


def test_a_report_naming_no_agent_needs_more_to_repeat_an_agent_correction():
    from farm.match import ACTOR_DISCOUNT, Matcher, MatchDoc

    agent = MatchDoc("a", "Agent rewrites CRLF files with LF", "The agent saved CRLF batch files with LF endings.")
    tool = MatchDoc("t", "Formatter rewrites CRLF files with LF", "The formatter saved CRLF batch files with LF endings.")
    query = "CRLF batch files were saved with LF endings"
    with_agent = Matcher([agent]).match(query)[0].score
    without_agent = Matcher([tool]).match(query)[0].score
    assert with_agent == pytest.approx(without_agent * ACTOR_DISCOUNT, rel=0.05)
    named = Matcher([agent]).match("The agent saved CRLF batch files with LF endings")[0]
    assert named.recurrence


def test_readme_example_is_a_recurrence_in_a_farm_of_one_correction(farm):
    from conftest import run_farm

    captured = run_farm(
        "capture", "--title", "Draft drops the stated takeaway",
        "--what", "The rewrite turned the post's point into a generic lesson about noticing busy sessions.",
        "--rule", "A draft must keep the takeaway sentence the author stated.",
        "--kind", "grader", "--must-preserve", "The extra spend should either make the current artifact better",
        "--applies-to", "posts/*.md", "--task-type", "docs", "--yes", "--json")
    assert captured.code == 0, captured.err
    best = run_farm("match", "the draft lost its main point again", "--json").json()["matches"][0]
    assert best["id"] == captured.json()["id"] and best["recurrence"] is True


def test_english_rarity_weighs_a_rare_word_above_a_common_one():
    from farm.match import english_rarity, rarities

    assert english_rarity("the") < english_rarity("point") < english_rarity("takeaway") < english_rarity("xqzvbn")
    assert rarities("Deleted deletes") == {"delet": english_rarity("deleted")}  # the stem's most common form


def test_a_confirmed_recurrence_becomes_a_phrasing_of_its_correction(farm):
    from conftest import run_farm

    made = run_farm("capture", "--title", "Agent deletes failing tests instead of fixing them",
                    "--what", "Asked to make CI green, the agent removed three failing test files.",
                    "--rule", "Fix the code or the test; never delete a failing test.", "--kind", "prompt",
                    "--yes", "--json").json()
    query = "The robot wiped the red spec files so the pipeline would pass"
    before = run_farm("match", query, "--json").json()["matches"]
    assert not before or not before[0]["recurrence"]
    # A person records that wording as a recurrence (capture matches it; --yes accepts)
    again = run_farm("capture", "--title", "Agent removed the failing test files again",
                     "--what", "The robot wiped the red spec files so the pipeline would pass.",
                     "--rule", "Fix the code.", "--kind", "prompt", "--yes", "--json").json()
    assert again["recurrence_of"] == made["id"]
    after = run_farm("match", query, "--json").json()["matches"]
    assert after[0]["id"] == made["id"] and after[0]["recurrence"] is True
    assert after[0]["score"] > (before[0]["score"] if before else 0)


def test_a_correction_keeps_its_newest_few_phrasings():
    from farm.matchcache import PHRASINGS_KEPT, active_docs

    class Row:
        id, title, what, rule, status = "c", "Title", "What", "Rule", "active"

        def signature_list(self):
            return []

    texts = [f"report {n}" for n in range(PHRASINGS_KEPT + 2)]
    (doc,) = active_docs([Row()], {"c": texts, "other": ["x"]})
    assert doc.phrasings == tuple(texts[-PHRASINGS_KEPT:])  # the newest few


def test_only_recurrences_a_person_recorded_become_phrasings(farm):
    import json

    from conftest import capture

    from farm.project import open_farm

    cid = capture().json()["id"]
    log = farm / "corrections" / "log"
    for name, key in (("by-hand", None), ("found", "moment:x:s1")):
        (log / f"{name}.json").write_text(json.dumps({"type": "recurrence", "correction": cid, "key": key,
                                                      "at": "2026-01-02T00:00:00Z", "text": f"{name} text"}))
    with open_farm().index() as (index, _):
        assert index.phrasings() == {cid: ["by-hand text"]}


def test_match_answers_from_its_cache_until_the_farm_changes(farm):
    from conftest import capture, run_farm

    first = capture().json()["id"]
    (farm / "corrections" / "broken.md").write_text("---\nid: [unclosed\n---\n")
    for _ in range(2):  # built, then from the cache: the unreadable file is still named
        result = run_farm("match", "the draft lost the stated takeaway", "--json")
        assert result.json()["matches"][0]["id"] == first and "broken.md" in result.err
    second = capture("--new", title="Lockfile left stale after a dependency bump",
                     what="package.json changed but package-lock.json did not.", rule="Commit the lockfile.").json()["id"]
    best = run_farm("match", "the lockfile was left stale after the dependency bump", "--json").json()["matches"][0]
    assert best["id"] == second


def test_a_pickled_matcher_matches_as_the_one_it_was_built_as(matcher):
    import pickle

    loaded = pickle.loads(pickle.dumps(matcher))
    for query in (DUPLICATE, UNRELATED, "Agent confused UTC and local timestamps again."):
        assert loaded.match(query) == matcher.match(query)
    assert loaded.match_excluding(DUPLICATE, "c-tabs") == matcher.match_excluding(DUPLICATE, "c-tabs")
