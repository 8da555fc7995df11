"""Formatting, splitting and numbered options (channels/formatting.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from channels.formatting import (
    MESSENGER_LIMIT,
    SMS_LIMIT,
    TELEGRAM_LIMIT,
    WHATSAPP_LIMIT,
    chosen_option,
    message_parts,
    options_prompt,
    plain_text,
    slack_mrkdwn,
    split_message,
    with_options,
)

ROOT = Path(__file__).resolve().parents[2]
FAQ = yaml.safe_load((ROOT / "data/responses/faq.yml").read_text())["responses"]
# Every variation: the short answers and the full ones ("Tell me more").
ANSWERS = [v["text"] for variants in FAQ.values() for v in variants]
REFERRAL_BUTTONS = [
    {"title": "Book a visit", "payload": "/book_appointment"},
    {"title": "Ask another question", "payload": "/another_question"},
]


def squeeze(text: str) -> str:
    return "".join(text.split())


# --- markdown ------------------------------------------------------------------------
def test_plain_text_drops_markdown_markers():
    text = "**Rest** and *pace* yourself. __Never__ ignore ~~this~~ `pain`."
    assert plain_text(text) == "Rest and pace yourself. Never ignore this pain."


def test_plain_text_keeps_links_headings_and_bullets_readable():
    text = "# Exercise\n* Walk daily\n- Stretch\n> quoted\nSee [our page](https://x.org/a_b)."
    assert plain_text(text) == (
        "Exercise\n- Walk daily\n- Stretch\nquoted\nSee our page (https://x.org/a_b)."
    )


def test_plain_text_leaves_ordinary_symbols_alone():
    text = "2 * 3 * 4, snake_case_name, frontdesk@example-clinic.org, 50% - not 100%"
    assert plain_text(text) == text


def test_plain_text_removes_an_unmatched_bold_marker():
    assert "*" not in plain_text("Important** note")


def test_the_answers_have_no_markdown_to_lose():
    # The knowledge base is plain text: on SMS it arrives word for word.
    for answer in ANSWERS:
        assert plain_text(answer) == answer.strip()
        assert "**" not in plain_text(answer)


def test_slack_mrkdwn():
    text = "**Rest** and *pace*, see [site](https://x.org) <now> & later\n# Head"
    assert slack_mrkdwn(text) == (
        "*Rest* and _pace_, see <https://x.org|site> &lt;now&gt; &amp; later\n*Head*"
    )


# --- splitting -------------------------------------------------------------------------
def test_short_text_is_one_message_unchanged():
    assert split_message("Hello there. Bye.", 1600) == ["Hello there. Bye."]
    assert split_message("   ", 100) == []


@pytest.mark.parametrize(
    "limit", [SMS_LIMIT, WHATSAPP_LIMIT, MESSENGER_LIMIT, TELEGRAM_LIMIT, 400, 160, 100]
)
def test_long_text_splits_under_the_limit_losing_nothing(limit):
    text = "\n".join(ANSWERS)  # about 30,000 characters, bullets included
    parts = split_message(text, limit)
    assert len(parts) > 1
    assert all(0 < len(p) <= limit for p in parts)
    assert squeeze("".join(parts)) == squeeze(text)
    assert " ".join(parts).split() == text.split()  # words whole and in order


def test_cuts_fall_at_sentence_ends():
    sentence = "Nerve pain can feel like burning or tingling in the feet. "
    text = sentence * 40
    parts = split_message(text, 300)
    assert all(p.endswith(".") for p in parts)
    assert all(len(p) <= 300 for p in parts)


def test_cuts_fall_at_line_ends_for_bullets():
    text = "Try these:\n" + "\n".join(
        f"- Step number {n} of the plan" for n in range(40)
    )
    parts = split_message(text, 200)
    for part in parts:
        for line in part.split("\n"):
            assert line == "Try these:" or line.startswith("- Step number")


def test_every_answer_fits_sms_as_one_message():
    for answer in ANSWERS:
        assert split_message(answer, SMS_LIMIT) == [answer.strip()]


def test_each_answer_split_small_loses_nothing():
    for answer in ANSWERS:
        parts = split_message(answer, 160)
        assert all(len(p) <= 160 for p in parts)
        assert " ".join(parts).split() == answer.split()


def test_a_sentence_longer_than_the_limit_splits_between_words():
    text = " ".join(["word"] * 100)  # no sentence end
    parts = split_message(text, 50)
    assert all(len(p) <= 50 for p in parts)
    assert " ".join(parts).split() == text.split()


def test_a_word_longer_than_the_limit_is_cut():
    url = "https://example-clinic.org/" + "x" * 300
    parts = split_message(f"Book here: {url} today.", 100)
    assert all(len(p) <= 100 for p in parts)
    assert squeeze("".join(parts)) == squeeze(f"Book here: {url} today.")


def test_a_blank_line_starts_a_new_message_as_in_rasa():
    text = "An answer.\n\nSources: A; B\n- a bullet"
    assert message_parts(text, 1600) == ["An answer.", "Sources: A; B\n- a bullet"]
    long = "Word " * 100 + "end.\n\nNext."
    parts = message_parts(long, 160)
    assert parts[-1] == "Next." and all(len(p) <= 160 for p in parts)
    assert message_parts("", 100) == []


def test_split_rejects_a_bad_limit():
    with pytest.raises(ValueError):
        split_message("text", 0)


# --- numbered options -------------------------------------------------------------------
def test_action_buttons_read_as_one_line():
    titles = [b["title"] for b in REFERRAL_BUTTONS]
    assert (
        options_prompt(titles) == "Reply 1 to book a visit, 2 to ask another question."
    )


def test_tell_me_more_is_the_third_option_after_a_short_answer():
    titles = [b["title"] for b in REFERRAL_BUTTONS] + ["Tell me more"]
    assert options_prompt(titles) == (
        "Reply 1 to book a visit, 2 to ask another question, 3 to tell me more."
    )
    assert chosen_option("3", titles) == 2
    assert chosen_option("Tell me more!", titles) == 2


def test_a_linked_citation_reads_as_name_and_url_on_text_channels():
    cite = "Sources: [Rehab framework](https://example-clinic.org/rehab); How PT helps"
    assert plain_text(cite) == (
        "Sources: Rehab framework (https://example-clinic.org/rehab); How PT helps"
    )
    assert slack_mrkdwn(cite) == (
        "Sources: <https://example-clinic.org/rehab|Rehab framework>; How PT helps"
    )


def test_question_buttons_read_as_a_numbered_list():
    titles = ["How long does PT take?", "What should I avoid?", "PT or medication?"]
    assert options_prompt(titles) == (
        "Reply with a number:\n1. How long does PT take?\n"
        "2. What should I avoid?\n3. PT or medication?"
    )


def test_with_options_adds_the_prompt_and_shows_links():
    text = with_options(
        "The best next step is an assessment.",
        REFERRAL_BUTTONS + [{"title": "Our site", "url": "https://x.org"}],
    )
    assert text == (
        "The best next step is an assessment.\n"
        "Our site: https://x.org\n"
        "Reply 1 to book a visit, 2 to ask another question."
    )


@pytest.mark.parametrize(
    "reply, index",
    [
        ("1", 0),
        (" 2 ", 1),
        ("1.", 0),
        ("#2", 1),
        ("option 1", 0),
        ("Two", 1),
        ("1\ufe0f\u20e3", 0),  # keycap emoji
        ("book a visit", 0),
        ("Ask another question!", 1),
        ("3", None),
        ("0", None),
        ("12", None),
        ("book", None),
        ("1 but my legs went numb suddenly", None),
        ("what is tens?", None),
        ("", None),
    ],
)
def test_chosen_option(reply, index):
    titles = [b["title"] for b in REFERRAL_BUTTONS]
    assert chosen_option(reply, titles) == index


def test_no_options_means_no_choice():
    assert chosen_option("1", []) is None


def test_spanish_buttons_get_a_spanish_prompt():
    titles = ["Pedir una cita", "Hacer otra pregunta"]
    assert options_prompt(titles) == (
        "Responda 1 para pedir una cita, 2 para hacer otra pregunta."
    )
    titles.append("Más información")
    assert options_prompt(titles) == (
        "Responda con un número:\n1. Pedir una cita\n2. Hacer otra pregunta\n"
        "3. Más información"
    )


@pytest.mark.parametrize(
    "reply, index",
    [
        ("3", 2),
        ("tres", 2),
        ("opción 2", 1),
        ("numero 1", 0),
        ("mas informacion", 2),
        ("cinco", None),
    ],
)
def test_spanish_replies_choose_an_option(reply, index):
    titles = ["Pedir una cita", "Hacer otra pregunta", "Más información"]
    assert chosen_option(reply, titles) == index


def test_english_topic_lists_stay_english():
    assert options_prompt(["TENS", "Sleep and nerve pain"]).startswith(
        "Reply with a number:"
    )
