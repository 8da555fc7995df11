"""The safety categories, written once (no spaCy, no Rasa: both servers import it).

They are intent names (data/nlu/safety.yml, domain.yml) and the categories
the detector (safety/detector.py) returns.
"""

# Alarms: the reply is urgent care or crisis support, before anything else.
ALARM_CATEGORIES = ("red_flag", "overdose", "crisis", "crisis_someone_else")
# Every intent the safety layer sets; dosing questions go to the prescriber.
SAFETY_INTENTS = ALARM_CATEGORIES + ("medication_dosing",)
