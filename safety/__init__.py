"""The safety layer: red flags, overdoses, crises and dosing questions, no Rasa.

- categories.py: the category names, written once (no dependencies: the
  action server imports it too).
- detector.py: the rules engine over a blank spaCy pipeline (concepts,
  negation, frames, who is in crisis) and `classify(text)`; used by the NLU
  component (components/safety.py), the channels' length guard, the
  evaluation scripts and the review sheet.
- rules.yml: its vocabulary and rules, in words clinicians can review.
"""
