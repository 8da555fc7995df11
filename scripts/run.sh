#!/usr/bin/env bash
# Start the action server, the Rasa server and the demo clinic page; Ctrl-C
# stops all three. Called by `make run` with the model to serve.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: scripts/run.sh models/<model>.tar.gz}

HOST=${HOST:-127.0.0.1}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
RASA_PORT=${RASA_PORT:-5005}
DEMO_PORT=${DEMO_PORT:-8080}
# Origins allowed to call the Rasa server from a browser (space-separated): the
# REST channel's `--cors` below, and the Socket.IO channel reads it from the
# environment (channels/socketio.py), so both allow the same pages.
CORS_ORIGINS=${CORS_ORIGINS:-"http://127.0.0.1:${DEMO_PORT} http://localhost:${DEMO_PORT}"}
# Seconds to wait for the Rasa server to answer and to reach the action server.
READY_TIMEOUT=${READY_TIMEOUT:-180}
export CORS_ORIGINS
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
# Sanic's limits for the Rasa server (read from SANIC_* variables; the REST
# channel never allows more, runtime/http_limits.py): a body over 512 KB is
# refused from its Content-Length, request headers must arrive within 10 s,
# and a request is cut after 60 s without progress.
export SANIC_REQUEST_MAX_SIZE=${SANIC_REQUEST_MAX_SIZE:-524288}
export SANIC_REQUEST_TIMEOUT=${SANIC_REQUEST_TIMEOUT:-10}
export SANIC_RESPONSE_TIMEOUT=${SANIC_RESPONSE_TIMEOUT:-60}
# Sender IDs are stored as a keyed hash: SENDER_ID_KEY if set, else a key made
# once per install in var/sender_id.key (persistence/identity.py, PRIVACY.md).
# Shared secret between the Rasa server and the action server (endpoints.yml).
export ACTION_SERVER_TOKEN=${ACTION_SERVER_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(24))')}
mkdir -p var
.venv/bin/python scripts/check_model.py "$model"
# This run's own copies, so two runs in one checkout don't overwrite each other.
run_dir=$(mktemp -d var/run.XXXXXX)
# Messaging channels are on when their variables are set (see credentials.yml).
.venv/bin/python -m channels.render_credentials --source credentials.yml --output "$run_dir/credentials.yml"
# The action server's address follows HOST / ACTIONS_PORT.
sed "s#http://127.0.0.1:5055/webhook#http://$HOST:$ACTIONS_PORT/webhook#" endpoints.yml > "$run_dir/endpoints.yml"

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "Stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$run_dir"
}
trap stop_all INT TERM EXIT

.venv/bin/python -m actions --host "$HOST" --port "$ACTIONS_PORT" &
pids+=($!)
# shellcheck disable=SC2086
# Rasa's command line with our adjustments to Rasa applied first (runtime/).
.venv/bin/python -m runtime run --model "$model" --interface "$HOST" --port "$RASA_PORT" \
  --credentials "$run_dir/credentials.yml" --endpoints "$run_dir/endpoints.yml" --cors $CORS_ORIGINS &
pids+=($!)
if [ -f widget/index.html ]; then
  .venv/bin/python scripts/serve_demo.py --host "$HOST" --port "$DEMO_PORT" \
    --rasa "http://$HOST:$RASA_PORT" &
  pids+=($!)
fi

start=$(date +%s)
# Ready means: the model is loaded AND the Rasa server's calls reach the action
# server (right URL, right token). Anything less is reported, not hidden.
ready=""
while [ $(( $(date +%s) - start )) -lt "$READY_TIMEOUT" ]; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "A server exited during start-up; see the log above." >&2; exit 1; }
  done
  ready=$(curl -s -m 10 "http://$HOST:$RASA_PORT/webhooks/rest/ready" 2>/dev/null || true)
  case "$ready" in
    *'"ready":true'*) break ;;
    *401*) break ;;  # a wrong token does not fix itself
  esac
  sleep 0.5
done
case "$ready" in
  *'"ready":true'*) ;;
  "") echo "Not ready: the Rasa server did not answer within ${READY_TIMEOUT} s." >&2; exit 1 ;;
  *) echo "Not ready: the Rasa server cannot use the action server: $ready" >&2; exit 1 ;;
esac
echo
echo "Ready in $(( $(date +%s) - start )) s:"
echo "  Rasa server (REST):  http://$HOST:$RASA_PORT/webhooks/rest/webhook"
echo "  Action server:       http://$HOST:$ACTIONS_PORT/webhook"
[ -f widget/index.html ] && echo "  Demo clinic page:    http://$HOST:$DEMO_PORT/"
echo "Press Ctrl-C to stop."
wait -n "${pids[@]}" || true
