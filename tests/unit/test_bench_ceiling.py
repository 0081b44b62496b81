"""How bench.ceiling splits the worker's py-spy samples: by the agent a sample was taken in."""

from __future__ import annotations

from bench.ceiling import FRAMEWORK, OTHER, PARTS, THREADS, WAITING, split_samples

NORMALISE, LEARNERS, ACTIVITIES = (part for _, part in PARTS)
SRC = "/w/src/learning_record"
LOOP = "run_forever (asyncio/base_events.py:607);_run_once (asyncio/base_events.py:1922)"
MAIN = f"<module> ({SRC}/cli/__main__.py:3);worker ({SRC}/cli/main.py:52);{LOOP}"
THREAD = "Thread._bootstrap (threading.py:1002)"
AGENT = f"Agent._execute_actor (faust/agents/agent.py:698);counted ({SRC}/stream/instruments.py:75)"


def test_each_sample_counts_once_for_the_part_it_was_taken_in() -> None:
    lines = [
        f"{MAIN};{AGENT};normalise ({SRC}/stream/agents/normalise.py:149);"
        f"decode_record ({SRC}/domain/ingest.py:130);model_validate (pydantic/main.py:792) 7",
        f"{MAIN};{AGENT};keep_learner_indicators ({SRC}/stream/agents/learner_indicators.py:18);"
        f"_load ({SRC}/stream/indicator_state.py:49) 5",
        f"{MAIN};{AGENT};keep_activity_indicators "
        f"({SRC}/stream/agents/activity_indicators.py:18);apply ({SRC}/domain/indicators/"
        "state.py:122) 3",
        f"{MAIN};{AGENT};keep_view_retention ({SRC}/stream/agents/view_retention.py:30) 2",
        f"{MAIN};select (selectors.py:468) 11",
        f"{MAIN};TimerHandle.__init__ (asyncio/events.py:104) 4",
        f"{THREAD};Fetcher._fetcher (faust/transport/consumer.py:177) 6",
        f"{THREAD};_PollLikeSelector.select (selectors.py:415) 1",
        "",
    ]

    assert split_samples(lines) == {
        NORMALISE: 7,
        LEARNERS: 5,
        ACTIVITIES: 3,
        OTHER: 2,
        WAITING: 12,
        FRAMEWORK: 4,
        THREADS: 6,
    }
