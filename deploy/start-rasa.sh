#!/bin/sh
# Entry point of the Rasa image: turn on the messaging channels whose
# environment variables are set (as `make run` does), then start Rasa with the
# arguments given (the image's CMD or docker-compose's `command`).
set -eu
cd "$(dirname "$0")/.."
rendered=${RASA_CREDENTIALS_FILE:-/tmp/credentials.yml}
python -m channels.render_credentials --source credentials.yml --output "$rendered"
# Rasa's command line with our adjustments to Rasa applied first (runtime/).
exec python -m runtime "$@" --credentials "$rendered"
