"""make report: figures checked against what the generator wrote, privacy, edge cases.

The history (tests/conftest.py `history_db`) is 5,000 conversations over 60
days on every channel, written straight into a SQLite tracker store by
tests/support/history.py, which returns each conversation as it wrote it. The
expected figures below are computed from that record alone, not with the
report's code. No server, no browser: tests/reporting/test_report_live.py has those.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clinic.topics import TOPICS
from persistence.purge import purge
from reporting.analyze import Period, analyze, normalize
from reporting.gaps import WORD, group_questions
from reporting.page import figure_values
from reporting.report import Report, ReportSettings, build
from reporting.source import Row, Store, store_from_url
from tests.conftest import HISTORY_CONVERSATIONS, HISTORY_END
from tests.support.history import CHANNEL_WEIGHTS, GAP_THEMES, History
from tests.support.live import free_port
from tests.support.report import run_report

ROOT = Path(__file__).resolve().parents[2]
UTC = ZoneInfo("UTC")
FIRST, LAST = date(2026, 8, 1), date(2026, 9, 29)
SETTINGS = ReportSettings(clinic_name="Riverside Physical Therapy")


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def expected_figures(history: History, first: date, last: date, tz: ZoneInfo) -> dict:
    """The report's figures from the generator's own record of what it wrote."""

    def local_day(timestamp: float) -> date:
        return datetime.fromtimestamp(timestamp, tz).date()

    figures: dict[str, Any] = {
        "conversations": Counter(),  # (day, channel)
        "messages": Counter(),
        "topics": Counter(),
        "not_sure": 0,
        "out_of_scope": 0,
        "safety": Counter(),  # (monday, category)
        "taps": 0,
        "typed": 0,
        "shown": Counter(),
        "taken": Counter(),
        "handoffs": 0,
        "turns": [],
        "ended_not_sure": 0,
        "themes": Counter(),
    }
    for c in history.conversations:
        inside = [t for t in c.message_times if first <= local_day(t) <= last]
        if not inside:
            continue
        figures["conversations"][local_day(inside[0]), c.channel] += 1
        for t in inside:
            figures["messages"][local_day(t), c.channel] += 1
        figures["turns"].append(len(inside))
        figures["topics"].update(c.answers)
        for gap in c.gaps:
            figures[gap.kind] += 1
            figures["themes"][gap.theme] += 1
        for t, category in c.escalations:
            figures["safety"][week_of(local_day(t)), category] += 1
        figures["taps"] += c.booking_taps
        figures["typed"] += c.booking_typed
        figures["shown"].update(c.referrals_shown)
        figures["taken"].update(c.referrals_taken)
        figures["handoffs"] += c.handoffs
        figures["ended_not_sure"] += c.ended_not_sure
    return figures


@pytest.fixture(scope="module")
def report(history_db) -> Report:
    path, _ = history_db
    return build(
        store_from_url(f"sqlite:///{path}"),
        Period(FIRST, LAST, UTC),
        SETTINGS,
        max_groups=1000,
    )


@pytest.fixture(scope="module")
def expected(history_db) -> dict:
    return expected_figures(history_db[1], FIRST, LAST, UTC)


def number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


# --- the generated history is what the issue asks for ---------------------------


def test_the_history_is_realistic(history_db, expected):
    path, history = history_db
    assert len(history.conversations) == HISTORY_CONVERSATIONS >= 5000
    assert {c.channel for c in history.conversations} == set(CHANNEL_WEIGHTS)
    days = {
        datetime.fromtimestamp(t, UTC).date()
        for c in history.conversations
        for t in c.message_times
    }
    assert min(days) == FIRST and max(days) == LAST  # 60 days
    assert set(c for _, c in expected["safety"]) == {
        "urgent_care", "crisis", "crisis_someone_else", "overdose", "dosing",
    }  # fmt: skip
    assert expected["not_sure"] > 500 and expected["out_of_scope"] > 100
    assert (
        expected["taps"] > 300
        and expected["typed"] > 100
        and expected["handoffs"] > 100
    )
    senders = Counter(c.sender_id for c in history.conversations)
    assert any(n > 1 for n in senders.values()), "no returning patient"
    assert history.empty_sessions > 0
    # Stored like the assistant stores them: redacted, Rasa's table and columns.
    db = sqlite3.connect(path)
    columns = [r[1] for r in db.execute("PRAGMA table_info(events)")]
    assert columns == [
        "id",
        "sender_id",
        "type_name",
        "timestamp",
        "intent_name",
        "action_name",
        "data",
    ]
    texts = " ".join(
        r[0] for r in db.execute("SELECT data FROM events WHERE type_name = 'user'")
    )
    db.close()
    assert "[PHONE]" in texts and "[EMAIL]" in texts and "@example.com" not in texts


# --- the figures ------------------------------------------------------------------


def test_volume_per_day_and_channel(report, expected):
    f = report.figures
    got_conversations = Counter()
    got_messages = Counter()
    for i, day in enumerate(f.period.days):
        for channel, count in f.conversations_by_day[i].items():
            got_conversations[day, channel] += count
        for channel, count in f.messages_by_day[i].items():
            got_messages[day, channel] += count
    assert got_conversations == expected["conversations"]
    assert got_messages == expected["messages"]
    assert f.conversations == HISTORY_CONVERSATIONS


def test_topics_safety_bookings_conversations(report, expected):
    f = report.figures
    assert f.topics == expected["topics"]
    assert (f.not_sure, f.out_of_scope) == (
        expected["not_sure"],
        expected["out_of_scope"],
    )
    got_safety = Counter()
    for i, monday in enumerate(f.period.weeks):
        for category, count in f.safety_by_week[i].items():
            got_safety[monday, category] += count
    assert got_safety == expected["safety"]
    assert (f.booking_taps, f.booking_typed) == (expected["taps"], expected["typed"])
    assert f.referrals_shown == expected["shown"]
    assert f.referrals_taken == expected["taken"]
    assert f.handoffs == expected["handoffs"]
    assert f.median_turns == statistics.median(expected["turns"])
    assert f.ended_not_sure == expected["ended_not_sure"]


def test_the_page_shows_the_figures(report, expected):
    shown = {k: number(v) for k, v in figure_values(report.html).items()}
    conversations = Counter()
    messages = Counter()
    for (_, channel), count in expected["conversations"].items():
        conversations[channel] += count
    for (_, channel), count in expected["messages"].items():
        messages[channel] += count
    assert shown["conversations"] == sum(conversations.values())
    assert shown["messages"] == sum(messages.values())
    for channel in CHANNEL_WEIGHTS:
        assert shown[f"channel.{channel}.conversations"] == conversations[channel]
        assert shown[f"channel.{channel}.messages"] == messages[channel]
    for topic, count in expected["topics"].items():
        assert shown[f"topic.{topic}"] == count
    assert shown["answers"] == sum(expected["topics"].values())
    assert shown["gaps.not_sure"] == expected["not_sure"]
    assert shown["gaps.out_of_scope"] == expected["out_of_scope"]
    assert shown["gaps"] == expected["not_sure"] + expected["out_of_scope"]
    safety = Counter()
    for (monday, category), count in expected["safety"].items():
        assert shown[f"safety.{monday.isoformat()}.{category}"] == count
        safety[category] += count
    for category, count in safety.items():
        assert shown[f"safety.{category}"] == count
    assert shown["escalations"] == sum(safety.values())
    assert shown["bookings.taps"] == expected["taps"]
    assert shown["bookings.typed"] == expected["typed"]
    assert shown["booking_requests"] == expected["taps"] + expected["typed"]
    assert shown["handoffs"] == expected["handoffs"]
    for group in ("doctor", "therapist", "assessment"):
        assert shown[f"referral.{group}.shown"] == expected["shown"][group]
        assert shown[f"referral.{group}.taken"] == expected["taken"][group]
    assert shown["turns.median"] == statistics.median(expected["turns"])
    assert shown["ended_not_sure"] == expected["ended_not_sure"]
    share = expected["ended_not_sure"] / HISTORY_CONVERSATIONS * 100
    assert shown["ended_not_sure.share"] == round(share)


def test_days_follow_the_clinic_time_zone(history_db):
    path, history = history_db
    chicago = ZoneInfo("America/Chicago")
    first, last = date(2026, 8, 10), date(2026, 8, 20)
    period = Period(first, last, chicago)
    f = analyze(_rows(path, period), period)
    expected = expected_figures(history, first, last, chicago)
    got = Counter()
    for i, day in enumerate(period.days):
        for channel, count in f.messages_by_day[i].items():
            got[day, channel] += count
    assert got == expected["messages"]
    assert f.conversations == sum(expected["conversations"].values())


def _rows(path: Path, period: Period) -> Iterator[Row]:
    from reporting.source import stream_events

    return stream_events(store_from_url(f"sqlite:///{path}"), period.start, period.end)


# --- content gaps -------------------------------------------------------------------


def _themes_by_text(history: History) -> dict[str, Counter]:
    themes: dict[str, Counter] = defaultdict(Counter)
    for c in history.conversations:
        for gap in c.gaps:
            themes[normalize(gap.text)][gap.theme] += 1
    return themes


def test_gap_groups_are_similar_questions_with_their_topic(
    report, history_db, expected
):
    groups = report.groups
    themes = _themes_by_text(history_db[1])
    assert (
        sum(g.count for g in groups) == expected["not_sure"] + expected["out_of_scope"]
    )
    counts = [g.count for g in groups]
    assert counts == sorted(counts, reverse=True)
    # Purity: a group's questions are one theme, nearly always.
    mixed = 0
    by_theme: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for group in groups:
        tally = Counter()
        for member in group.members:
            tally.update(themes[member])
        theme, count = tally.most_common(1)[0]
        mixed += group.count - count
        by_theme[theme].append((count, group))
    assert mixed <= 0.03 * sum(counts), f"{mixed} questions in a group of another theme"
    # Each recurring question has one main group, with the topic it is closest to.
    for theme, (topic, _, _) in GAP_THEMES.items():
        count, group = max(by_theme[theme], key=lambda item: item[0])
        assert count >= 0.3 * expected["themes"][theme], theme
        assert group.shown_text(3) is not None
        if topic:
            assert group.topic == topic, theme
            assert group.topic_confidence >= 0.1
        else:
            assert group.topic_confidence < 0.1, theme
    # The most asked theme leads the list.
    top_theme = expected["themes"].most_common(1)[0][0]
    leader = Counter()
    for member in groups[0].members:
        leader.update(themes[member])
    assert leader.most_common(1)[0][0] == top_theme == "insurance"


def test_the_page_lists_the_groups_most_frequent_first(report):
    shown = figure_values(report.html)
    ranks = sorted(
        int(k.split(".")[1]) for k in shown if re.fullmatch(r"gap\.\d+\.count", k)
    )
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) >= 20
    for rank in ranks:
        assert number(shown[f"gap.{rank}.count"]) == report.groups[rank - 1].count
    insurance = report.groups[0]
    assert "insurance" in insurance.leader and f">{insurance.leader}" in report.html
    assert TOPICS[insurance.topic].label in report.html


# --- privacy ------------------------------------------------------------------------


def test_no_sender_id_safety_text_or_name_in_the_report(report, history_db):
    _, history = history_db
    html = report.html
    senders = {c.sender_id for c in history.conversations}
    assert not [s for s in senders if s in html]
    # Digit runs as long as the channels' phone-number and account IDs: none.
    assert not re.findall(r"\d{7,}", re.sub(r"<[^>]+>", " ", html))
    safety = {t for c in history.conversations for t in c.safety_texts}
    assert not [t for t in safety if len(t) > 12 and t in html]
    names = {n for c in history.conversations for n in c.names}
    visible = set(WORD.findall(re.sub(r"<[^>]+>", " ", html).lower()))
    assert names and not names & visible, "a patient's surname reached the report"


def test_small_groups_show_their_count_not_their_text(report):
    html = report.html
    small = [g for g in report.groups if g.askers < 3]
    assert small, "the history should have questions asked by fewer than 3 people"
    for group in small:
        for member in group.members:
            assert f">{escape(member)}<" not in html
            assert f">{escape(member)} <" not in html
    assert "Text withheld" in html or "text withheld" in html
    for group in report.groups:
        text = group.shown_text(3)
        if text is None:
            continue
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        from reporting.gaps import DOMAIN_WORDS

        for word in WORD.findall(text.lower()):
            if word in ENGLISH_STOP_WORDS or word in DOMAIN_WORDS or word.isupper():
                continue  # never masked; upper case: [PHONE] and the like
            assert len(group.words.get(word, ())) >= 3, (word, text)


def test_the_clinic_can_set_the_group_size(history_db):
    path, _ = history_db
    period = Period(date(2026, 9, 1), date(2026, 9, 29), UTC)
    store = store_from_url(f"sqlite:///{path}")
    everything = build(
        store, period, ReportSettings("X", min_group_size=1), max_groups=5000
    )
    strict = build(
        store, period, ReportSettings("X", min_group_size=40), max_groups=5000
    )
    one_person = [g for g in everything.groups if g.askers == 1]
    assert one_person and escape(one_person[0].shown_text(1)) in everything.html
    assert "Text withheld" not in everything.html
    shown_strict = [g for g in strict.groups if g.shown_text(40)]
    assert shown_strict and all(g.askers >= 40 for g in shown_strict)
    assert strict.html.count("Text withheld") == sum(
        1 for g in strict.groups if g.askers < 40
    )


def test_the_page_is_self_contained(report):
    html = report.html
    assert "<script" not in html.lower()
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "default-src 'none'" in html
    assert html.count("<svg") >= 7


def test_retention_the_report_reads_what_purge_left(history_db, tmp_path):
    path, history = history_db
    copy = tmp_path / "purged.db"
    shutil.copy(path, copy)
    url = f"sqlite:///{copy}"
    deleted, _ = purge(url, days=30, now=HISTORY_END)
    assert deleted > 0
    cutoff = HISTORY_END - 30 * 86400
    last_seen: dict[str, float] = {}
    for c in history.conversations:
        last_seen[c.sender_id] = max(last_seen.get(c.sender_id, 0), c.last)
    kept = [c for c in history.conversations if last_seen[c.sender_id] >= cutoff]
    period = Period(FIRST, LAST, UTC)
    f = build(store_from_url(url), period, SETTINGS).figures
    assert f.conversations == len(kept) < HISTORY_CONVERSATIONS
    assert f.messages == sum(len(c.message_times) for c in kept)


# --- the counting rules, on hand-made events ----------------------------------------


def _event_rows(sender: str, events: list[tuple[str, dict]], start: float) -> list[Row]:
    import json

    rows = []
    for i, (kind, data) in enumerate(events):
        data = {"event": kind, "timestamp": start + i, **data}
        intent = (data.get("parse_data") or {}).get("intent", {}).get("name")
        rows.append(Row(sender, kind, start + i, intent, json.dumps(data)))
    return rows


def user(text: str, intent: str = "faq", channel: str = "rest") -> tuple[str, dict]:
    return "user", {
        "text": text,
        "input_channel": channel,
        "parse_data": {"intent": {"name": intent}},
    }


def bot(utter: str) -> tuple[str, dict]:
    return "bot", {"text": "…", "metadata": {"utter_action": utter}}


def test_counting_rules():
    period = Period(date(2026, 3, 2), date(2026, 3, 8), UTC)
    at = datetime(2026, 3, 3, 9, tzinfo=UTC).timestamp()
    rows = _event_rows(
        "a",
        [
            ("session_started", {}),
            user("does tens help"),
            bot("utter_faq/tens"),
            bot("utter_referral_therapist"),
            user("what about shoes"),  # not a booking: the referral was not taken
            bot("utter_not_sure"),
            user("/book_appointment", "book_appointment"),  # not after a referral
            bot("utter_book_appointment"),
            ("session_started", {}),  # a second conversation, same person
            user("hi", "greet", "telegram"),
            bot("utter_greet"),
            user('/faq{"faq_topic": "sleep"}'),
            bot("utter_faq/sleep"),
            bot("utter_referral_doctor"),
            user("book me in please", "book_appointment", "telegram"),  # taken, typed
            bot("utter_book_appointment"),
            user("my mom wants to end her life", "crisis_someone_else", "telegram"),
            bot("utter_crisis_support_other"),
            user("blorf", "nlu_fallback", "telegram"),
            bot("utter_not_sure"),
        ],
        at,
    ) + _event_rows(
        "b", [("session_started", {})], at
    )  # nothing asked: not counted
    f = analyze(rows, period)
    assert f.conversations == 2
    assert f.conversations_by_day[1] == Counter({"rest": 1, "telegram": 1})
    assert f.messages == 8
    assert f.topics == Counter({"tens": 1, "sleep": 1})
    assert (f.booking_taps, f.booking_typed) == (1, 1)
    assert f.referrals_shown == Counter({"therapist": 1, "doctor": 1})
    assert f.referrals_taken == Counter({"doctor": 1})
    assert f.safety_totals() == Counter({"crisis_someone_else": 1})
    assert (f.not_sure, f.out_of_scope) == (2, 0)
    assert set(f.gap_texts) == {"what about shoes", "blorf"}
    assert f.turns == Counter({3: 1, 5: 1})
    assert f.ended_not_sure == 1  # the second one ended on "not sure"; the first didn't


def test_normalize_masks_and_trims():
    assert (
        normalize("Hello, my number is 555-123-4567 thanks!") == "my number is [PHONE]"
    )
    assert normalize("  Quick question: DOES   insurance cover PT?? thank you") == (
        "does insurance cover pt"
    )


def test_leader_grouping_is_deterministic():
    from reporting.analyze import GapText

    texts = {
        "does insurance cover pt": GapText(5, 5, 0, {1, 2, 3}),
        "does my insurance cover physical therapy": GapText(3, 3, 0, {4, 5}),
        "what's the weather today": GapText(2, 0, 2, {6}),
    }
    one = group_questions(texts)
    two = group_questions(dict(reversed(list(texts.items()))))
    assert [(g.leader, g.members, g.count) for g in one] == [
        (g.leader, g.members, g.count) for g in two
    ]
    assert one[0].members == [
        "does insurance cover pt",
        "does my insurance cover physical therapy",
    ]
    assert one[0].askers == 5 and one[1].askers == 1


# --- the command ----------------------------------------------------------------------


def test_command_writes_the_html_for_the_default_last_30_days(tmp_path):
    from tests.support.history import generate

    db = tmp_path / "recent.db"
    history = generate(f"sqlite:///{db}", 300, days=60, seed=3)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: persistence.redacting.RedactingSQLTrackerStore\n"
        "  dialect: sqlite\n  db: ${REPORT_TEST_DB}\n"
    )
    out = tmp_path / "reports"
    result = run_report(
        "--endpoints", str(endpoints), "--out", str(out), "--no-pdf",
        env={"REPORT_TEST_DB": str(db)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    today = datetime.now(UTC).date()
    first = today - timedelta(days=29)
    html = out / f"report-{first}_{today}.html"
    assert html.is_file() and str(html) in result.stdout
    recent = [
        c
        for c in history.conversations
        if any(datetime.fromtimestamp(t, UTC).date() >= first for t in c.message_times)
    ]
    assert number(figure_values(html.read_text())["conversations"]) == len(recent)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["no file", "empty table"])
def test_a_fresh_clinic_gets_a_report_that_says_so(tmp_path, kind):
    db = tmp_path / "conversations.db"
    if kind == "empty table":
        import sqlalchemy as sa
        from rasa.core.tracker_store import SQLTrackerStore

        engine = sa.create_engine(f"sqlite:///{db}")
        SQLTrackerStore.SQLEvent.__table__.create(engine)
        engine.dispose()
    out = tmp_path / "out"
    result = run_report("--db-url", f"sqlite:///{db}", "--out", str(out), "--no-pdf")
    assert result.returncode == 0, result.stderr
    html = next(out.glob("report-*.html")).read_text()
    assert "No conversations in this period" in html
    assert figure_values(html)["conversations"] == "0"
    assert "0 conversations" in result.stdout
    assert db.exists() == (kind == "empty table")  # the report never creates a store


def test_an_unreachable_store_gets_a_clear_message(tmp_path):
    port = free_port()  # nothing listens there
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: persistence.redacting.RedactingSQLTrackerStore\n"
        "  dialect: postgresql\n  url: 127.0.0.1\n  port: ${REPORT_DB_PORT}\n"
        "  username: rasa\n  password: ${REPORT_DB_PASSWORD}\n  db: rasa\n"
        "  connect_timeout: 2\n"
    )
    result = run_report(
        "--endpoints", str(endpoints), "--out", str(tmp_path / "out"), "--no-pdf",
        env={"REPORT_DB_PORT": str(port), "REPORT_DB_PASSWORD": "s3cret-pw"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        f"error: cannot read the conversations from PostgreSQL database 'rasa' at "
        f"127.0.0.1:{port}:"
    ), result.stderr
    assert "refused" in result.stderr.lower()
    assert "s3cret-pw" not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists()


def test_configuration_mistakes_get_a_clear_message(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: persistence.redacting.RedactingSQLTrackerStore\n"
        "  dialect: postgresql\n  url: ${REPORT_UNSET_HOST}\n  db: rasa\n"
    )
    cases = [
        (["--endpoints", str(endpoints)], "REPORT_UNSET_HOST is not set"),
        (["--endpoints", str(tmp_path / "missing.yml")], "not found"),
        (
            [
                "--from",
                "2026-09-10",
                "--to",
                "2026-09-01",
                "--db-url",
                "sqlite:///x.db",
            ],
            "before",
        ),
        (
            ["--timezone", "Mars/Olympus", "--db-url", "sqlite:///x.db"],
            "unknown time zone",
        ),
    ]
    for args, message in cases:
        result = run_report(*args, "--no-pdf", "--out", str(tmp_path / "out"))
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr


def test_store_description_never_shows_the_password():
    store = Store(store_from_url("postgresql://rasa:hunter2@db.internal:5433/conv").url)
    assert store.describe() == "PostgreSQL database 'conv' at db.internal:5433"


def test_a_damaged_row_does_not_stop_the_report():
    period = Period(date(2026, 3, 2), date(2026, 3, 8), UTC)
    at = datetime(2026, 3, 3, 9, tzinfo=UTC).timestamp()
    rows = _event_rows("a", [user("does tens help"), bot("utter_not_sure")], at)
    rows.insert(1, Row("a", "bot", at + 0.5, None, "{not json"))
    f = analyze(rows, period)
    assert (f.conversations, f.messages, f.not_sure) == (1, 1, 1)
