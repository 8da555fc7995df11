"""`python -m runtime run ...`: Rasa's command line, with our adjustments applied.

Every way this project starts the Rasa server (scripts/run.sh, the production
image's deploy/start-rasa.sh, the live tests, the benchmark) goes through here,
so the adjustments apply whatever channels are configured.
"""

from __future__ import annotations

from clinic.settings import load_settings
from persistence.redaction import install_log_redaction, quiet_library_notices
from runtime.adjustments import apply_all


def main() -> None:
    # Before Rasa logs anything: messages may hold personal details.
    install_log_redaction()
    quiet_library_notices()
    apply_all(load_settings().action_timeout_seconds)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
