"""What both servers know about the clinic and its answers (the domain layer).

- settings.py: clinic.yml, overridable by CLINIC_<KEY> variables.
- topics.py / topics.yml: the FAQ topic catalogue and the buttons that ask for one.
- confidence.py: the one decision "is this FAQ answer confident?".
- followup.py: the one decision "is this message a follow-up on the last topic?".
- replies.py: texts the servers send without the action server (the apology).

Imported by actions/, channels/, persistence/ and the scripts; imports none of them.
"""
