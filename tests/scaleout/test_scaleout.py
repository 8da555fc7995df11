"""Two Rasa replicas sharing PostgreSQL and Redis, under load and under faults.

Starts its own PostgreSQL and redis-server (never the machine's), one action
server and two Rasa servers configured with deploy/endpoints.production.yml and
deploy/credentials.production.yml, the files production uses. Then:

1. 20 conversations x 10 messages at once, each message to a random replica:
   every stored conversation (read from PostgreSQL) holds every user message
   and every bot reply exactly once, in order, matching what each user got;
   the FAQ safety note is the full one first and the short "Reminder:" after,
   whichever replica answers.
2. One conversation's messages on both replicas at the same moment: handled
   one after the other (the Redis lock), never interleaved.
3. PostgreSQL, then Redis, stopped for a few seconds under load: users get an
   apology with the clinic's phone number (no 500, no empty reply, no hang),
   no conversation is corrupted, and answers resume by themselves.

Counts, errors during the faults and recovery times are printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from tests.support.live import LiveAssistant
from tests.support.services import (
    PG_MISSING,
    REDIS_MISSING,
    PostgresServer,
    RedisServer,
    find_pg_bin,
    find_redis,
)

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CONVERSATIONS = 20
MESSAGES = 10
REQUEST_TIMEOUT = 60  # seconds, per message
PHASE_TIMEOUT = 420  # seconds, per load phase
OUTAGE = 5  # seconds a store is down
RECOVERY_LIMIT = 60  # seconds after restart for every conversation to be answered

GREETINGS = ["hi", "hello", "hey there", "good morning"]
FAQ = [
    "What exactly is neuropathic pain?",
    "what does nerve pain feel like",
    "how long does physical therapy take",
    "does stretching help nerve pain",
    "what should I avoid with neuropathy",
    "is TENS good for nerve pain",
    "how does physical therapy help nerve pain",
    "what exercises help neuropathy",
    "can heat or ice help nerve pain",
    "how can I sleep better with nerve pain",
]
OUT_OF_SCOPE = [
    "whats the weather going to be like tomorrow",
    "who won the football game last night",
    "where can i buy cheap running shoes online",
]
FULL_NOTE = "general education"
SHORT_NOTE = "Reminder:"


# --- the cluster ---------------------------------------------------------------------
@dataclass
class Cluster:
    postgres: PostgresServer
    redis: RedisServer
    replicas: list[LiveAssistant]
    db_url: str

    @property
    def urls(self) -> list[str]:
        return [r.url for r in self.replicas]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    pg_bin, redis_bin = find_pg_bin(), find_redis()
    if pg_bin is None:
        pytest.skip(PG_MISSING)
    if redis_bin is None:
        pytest.skip(REDIS_MISSING)
    workdir = tmp_path_factory.mktemp("scaleout")
    postgres, redis = PostgresServer(pg_bin), RedisServer(redis_bin)
    replicas: list[LiveAssistant] = []
    try:
        postgres.init().start()
        postgres.create_database("rasa")
        redis.start()
        # As the image's entry point renders it: the channels whose variables are set.
        from channels.render_credentials import render

        credentials, _, _ = render(
            (DEPLOY / "credentials.production.yml").read_text(), os.environ
        )
        for number in (1, 2):
            replica = LiveAssistant(workdir / f"rasa-{number}", credentials=credentials)
            shutil.copy(DEPLOY / "endpoints.production.yml", replica.endpoints)
            replicas.append(replica)
        actions_port = replicas[0].actions_port
        token = replicas[0].env["ACTION_SERVER_TOKEN"]
        sender_key = replicas[0].env["SENDER_ID_KEY"]  # shared, as in production
        for replica in replicas:
            replica.env.update(
                ACTION_SERVER_TOKEN=token,
                SENDER_ID_KEY=sender_key,
                ACTION_SERVER_URL=f"http://127.0.0.1:{actions_port}/webhook",
                DB_HOST="127.0.0.1",
                DB_PORT=str(postgres.port),
                DB_USER="postgres",
                DB_PASSWORD="",
                DB_DATABASE="rasa",
                REDIS_HOST="127.0.0.1",
                REDIS_PORT=str(redis.port),
                REDIS_PASSWORD="",
            )
        replicas[0].start_actions()  # one action server for both replicas
        with ThreadPoolExecutor(len(replicas)) as pool:
            list(pool.map(lambda r: r.start_rasa(), replicas))
        yield Cluster(postgres, redis, replicas, postgres.url("rasa"))
    finally:
        for replica in replicas:
            replica.stop()
        redis.cleanup()
        postgres.cleanup()


# --- talking to it -------------------------------------------------------------------
@dataclass
class Turn:
    message: str
    replica: int
    started: float
    finished: float = 0.0
    status: int = 0
    reply: list[dict] = field(default_factory=list)
    kind: str = ""  # answer | apology | empty | http-error | timeout | error
    phase: str = ""

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.reply if m.get("text")]


@dataclass
class Conversation:
    sender: str
    turns: list[Turn] = field(default_factory=list)

    def answered(self) -> list[Turn]:
        return [t for t in self.turns if t.kind == "answer"]


async def send(
    session: aiohttp.ClientSession, urls: list[str], sender: str, text: str
) -> Turn:
    replica = random.randrange(len(urls))
    turn = Turn(text, replica, time.monotonic())
    try:
        async with session.post(
            f"{urls[replica]}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        ) as response:
            turn.status = response.status
            body = await response.read()
            error_header = response.headers.get("X-Assistant-Error")
        if turn.status != 200:
            turn.kind = "http-error"
        else:
            turn.reply = json.loads(body) if body else []
            if not turn.reply:
                turn.kind = "empty"
            elif error_header:
                turn.kind = "apology"
            else:
                turn.kind = "answer"
    except asyncio.TimeoutError:
        turn.kind = "timeout"
    except (aiohttp.ClientError, ValueError):
        turn.kind = "error"
    turn.finished = time.monotonic()
    return turn


def script(rng: random.Random) -> list[str]:
    """Ten messages: a greeting, then FAQ questions, greetings, out of scope."""
    messages = [rng.choice(GREETINGS)]
    messages += rng.sample(FAQ, 6) + rng.sample(OUT_OF_SCOPE, 2)
    messages.append(rng.choice(GREETINGS))
    rng.shuffle(messages)
    return messages


# --- reading it back -----------------------------------------------------------------
def stored_events(db_url: str, senders: list[str]) -> dict[str, list[dict]]:
    from persistence.identity import stored_sender_id

    # The store keeps a keyed hash of each sender ID (persistence/identity.py).
    names = {stored_sender_id(s): s for s in senders}
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT sender_id, data FROM events "
                    "WHERE sender_id = ANY(:senders) ORDER BY id"
                ),
                {"senders": list(names)},
            ).all()
    finally:
        engine.dispose()
    events: dict[str, list[dict]] = {s: [] for s in senders}
    for stored, data in rows:
        events[names[stored]].append(json.loads(data))
    return events


def turns_in_store(events: list[dict]) -> list[tuple[str, list[str]]]:
    """(user text, bot texts after it) per stored user message, in order.

    The REST channel sends each paragraph of a bot message separately, so
    stored bot texts are split the same way.
    """
    turns: list[tuple[str, list[str]]] = []
    for event in events:
        if event["event"] == "user":
            turns.append((event["text"], []))
        elif event["event"] == "bot" and event.get("text"):
            assert turns, f"bot message before any user message: {event['text']!r}"
            turns[-1][1].extend(event["text"].strip().split("\n\n"))
    return turns


def check_stored(cluster: Cluster, conversations: list[Conversation]) -> dict[str, int]:
    """Every answered message and its replies stored exactly once, in order."""
    stored = stored_events(cluster.db_url, [c.sender for c in conversations])
    counts = {"conversations": 0, "events": 0, "user": 0, "bot": 0}
    for conversation in conversations:
        events = stored[conversation.sender]
        expected = [(t.message, t.texts) for t in conversation.answered()]
        assert turns_in_store(events) == expected, conversation.sender
        starts = sum(e["event"] == "session_started" for e in events)
        assert starts == (1 if expected else 0), conversation.sender
        counts["conversations"] += 1
        counts["events"] += len(events)
        counts["user"] += sum(e["event"] == "user" for e in events)
        counts["bot"] += sum(e["event"] == "bot" for e in events)
    return counts


def check_safety_notes(conversation: Conversation) -> int:
    """The full safety note on the first FAQ answer, the short one after."""
    checked, seen_faq = 0, False
    for turn in conversation.answered():
        full = any(FULL_NOTE in t for t in turn.texts)
        short = any(t.startswith(SHORT_NOTE) for t in turn.texts)
        if full or short:
            assert full != seen_faq and short == seen_faq, (
                conversation.sender,
                turn.message,
                turn.texts,
            )
            seen_faq, checked = True, checked + 1
    return checked


def report(capsys: pytest.CaptureFixture, title: str, lines: list[str]) -> None:
    with capsys.disabled():
        print(f"\n== {title}")
        for line in lines:
            print(f"   {line}")


def latency(turns: list[Turn]) -> str:
    times = sorted(t.finished - t.started for t in turns)
    if not times:
        return "n/a"
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return (
        f"median {statistics.median(times):.2f}s, p95 {p95:.2f}s, max {times[-1]:.2f}s"
    )


# --- the tests -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def conversations() -> list[Conversation]:
    run = uuid.uuid4().hex[:6]
    return [Conversation(f"scale-{run}-{n:02d}") for n in range(CONVERSATIONS)]


def test_twenty_conversations_on_two_replicas(
    cluster: Cluster,
    conversations: list[Conversation],
    capsys: pytest.CaptureFixture,
) -> None:
    rng = random.Random(20240611)
    scripts = {c.sender: script(rng) for c in conversations}

    async def talk(session: aiohttp.ClientSession, conversation: Conversation) -> None:
        for message in scripts[conversation.sender]:
            turn = await send(session, cluster.urls, conversation.sender, message)
            turn.phase = "load"
            conversation.turns.append(turn)

    async def load() -> float:
        start = time.monotonic()
        async with aiohttp.ClientSession() as session:
            await asyncio.wait_for(
                asyncio.gather(*(talk(session, c) for c in conversations)),
                PHASE_TIMEOUT,
            )
        return time.monotonic() - start

    elapsed = asyncio.run(load())
    turns = [t for c in conversations for t in c.turns]
    kinds = {k: sum(t.kind == k for t in turns) for k in {t.kind for t in turns}}
    per_replica = [sum(t.replica == i for t in turns) for i in range(len(cluster.urls))]
    assert kinds == {"answer": CONVERSATIONS * MESSAGES}, kinds
    assert min(per_replica) > 0

    counts = check_stored(cluster, conversations)
    notes = sum(check_safety_notes(c) for c in conversations)
    report(
        capsys,
        "scale-out: 2 Rasa replicas, 1 action server, PostgreSQL + Redis",
        [
            f"{len(turns)} messages in {elapsed:.1f}s "
            f"({len(turns) / elapsed:.1f} msg/s), per replica {per_replica}",
            f"latency {latency(turns)}",
            f"checked in PostgreSQL: {counts['conversations']} conversations, "
            f"{counts['events']} events ({counts['user']} user, {counts['bot']} bot), "
            "each exactly once and in order",
            f"safety notes checked: {notes} (full first, then 'Reminder:')",
        ],
    )
    assert notes >= CONVERSATIONS  # every conversation asked several FAQ questions


def test_same_conversation_on_both_replicas_at_once(
    cluster: Cluster, capsys: pytest.CaptureFixture
) -> None:
    pairs = [Conversation(f"pair-{uuid.uuid4().hex[:8]}") for _ in range(5)]

    async def both_at_once(session: aiohttp.ClientSession, c: Conversation) -> None:
        first = send(session, cluster.urls[:1], c.sender, "hello")
        second = send(session, cluster.urls[1:], c.sender, FAQ[0])
        c.turns.extend(await asyncio.gather(first, second))

    async def load() -> None:
        async with aiohttp.ClientSession() as session:
            await asyncio.wait_for(
                asyncio.gather(*(both_at_once(session, c) for c in pairs)),
                PHASE_TIMEOUT,
            )

    asyncio.run(load())
    stored = stored_events(cluster.db_url, [c.sender for c in pairs])
    for conversation in pairs:
        assert all(t.kind == "answer" for t in conversation.turns), conversation.turns
        expected = {t.message: t.texts for t in conversation.turns}
        in_store = turns_in_store(stored[conversation.sender])
        # Whichever came first, each message is followed by its own replies.
        assert sorted(m for m, _ in in_store) == sorted(expected)
        assert all(expected[m] == texts for m, texts in in_store)
    report(
        capsys,
        "same conversation on both replicas at the same moment",
        [f"{len(pairs)} conversations x 2 simultaneous messages: never interleaved"],
    )


def run_fault(
    cluster: Cluster,
    conversations: list[Conversation],
    phase: str,
    stop_store: Callable[[], None],
    start_store: Callable[[], None],
) -> dict[str, float]:
    """Keep every conversation talking while a store goes down and comes back."""
    rng = random.Random(phase)
    pool = FAQ + GREETINGS + OUT_OF_SCOPE
    marks: dict[str, float] = {}

    async def main() -> None:
        finished = asyncio.Event()

        async def talk(session: aiohttp.ClientSession, c: Conversation) -> None:
            while not finished.is_set():
                turn = await send(session, cluster.urls, c.sender, rng.choice(pool))
                turn.phase = phase
                c.turns.append(turn)
                await asyncio.sleep(0.1)

        async def fault() -> None:
            await asyncio.sleep(3)  # steady load first
            marks["down"] = time.monotonic()
            await asyncio.to_thread(stop_store)
            await asyncio.sleep(OUTAGE)
            await asyncio.to_thread(start_store)
            marks["up"] = time.monotonic()
            deadline = marks["up"] + RECOVERY_LIMIT
            while time.monotonic() < deadline:
                if all(first_answer_after(c, marks["up"]) for c in conversations):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(2)  # steady load again
            finished.set()

        async with aiohttp.ClientSession() as session:
            await asyncio.wait_for(
                asyncio.gather(fault(), *(talk(session, c) for c in conversations)),
                PHASE_TIMEOUT,
            )

    asyncio.run(main())
    return marks


def first_answer_after(conversation: Conversation, moment: float) -> Turn | None:
    for turn in conversation.turns:
        if turn.kind == "answer" and turn.started >= moment:
            return turn
    return None


def check_fault(
    cluster: Cluster,
    conversations: list[Conversation],
    phase: str,
    marks: dict[str, float],
    capsys: pytest.CaptureFixture,
    store: str,
) -> None:
    from clinic.replies import apology
    from clinic.settings import load_settings

    turns = [t for c in conversations for t in c.turns if t.phase == phase]
    kinds = {
        k: sum(t.kind == k for t in turns) for k in sorted({t.kind for t in turns})
    }
    apologies = [t for t in turns if t.kind == "apology"]
    # Users get an apology with the clinic's phone number, never silence or a 500.
    assert set(kinds) <= {"answer", "apology"}, kinds
    assert apologies, f"no apology seen while {store} was down: {kinds}"
    phone = load_settings().phone
    assert all(t.texts == [apology()] for t in apologies)
    assert phone in apology()
    # Apologies only around the outage: before the restart, or while the
    # replicas' retries and reconnects catch up just after it.
    grace = 5.0
    late = [t for t in apologies if t.started > marks["up"] + grace]
    early = [t for t in apologies if t.finished < marks["down"]]
    assert not late and not early, (len(early), len(late))
    # Service resumed by itself in every conversation.
    recovered = [first_answer_after(c, marks["up"]) for c in conversations]
    assert all(recovered), "a conversation got no answer after the restart"
    first = min(t.finished for t in recovered) - marks["up"]  # type: ignore[union-attr]
    every = max(t.finished for t in recovered) - marks["up"]  # type: ignore[union-attr]
    # No conversation corrupted: what users saw is exactly what is stored.
    counts = check_stored(cluster, conversations)
    notes = sum(check_safety_notes(c) for c in conversations)
    during = [
        t for t in turns if t.finished >= marks["down"] and t.started <= marks["up"]
    ]
    report(
        capsys,
        f"fault: {store} stopped for {marks['up'] - marks['down']:.1f}s under load",
        [
            f"{len(turns)} messages in the phase: {kinds}",
            f"during the outage: {len(during)} messages, "
            f"{sum(t.kind == 'apology' for t in during)} apologies, "
            f"{sum(t.kind == 'answer' for t in during)} answered; "
            "0 HTTP errors, 0 empty replies, 0 timeouts",
            f"apology latency {latency(apologies)}",
            f"recovery after restart: first answer {first:.2f}s, "
            f"every conversation answered again {every:.2f}s",
            f"checked in PostgreSQL: {counts['conversations']} conversations, "
            f"{counts['events']} events ({counts['user']} user, {counts['bot']} bot), "
            "each exactly once and in order; apologised messages not stored",
            f"safety notes checked: {notes}",
        ],
    )
    assert every < RECOVERY_LIMIT


def test_postgres_outage(
    cluster: Cluster,
    conversations: list[Conversation],
    capsys: pytest.CaptureFixture,
) -> None:
    marks = run_fault(
        cluster,
        conversations,
        "postgres-outage",
        lambda: cluster.postgres.stop("fast"),
        cluster.postgres.start,
    )
    check_fault(cluster, conversations, "postgres-outage", marks, capsys, "PostgreSQL")


def test_redis_outage(
    cluster: Cluster,
    conversations: list[Conversation],
    capsys: pytest.CaptureFixture,
) -> None:
    marks = run_fault(
        cluster,
        conversations,
        "redis-outage",
        cluster.redis.stop,
        cluster.redis.start,
    )
    check_fault(cluster, conversations, "redis-outage", marks, capsys, "Redis")
