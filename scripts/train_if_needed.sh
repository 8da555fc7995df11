#!/usr/bin/env bash
# Train only when the training inputs changed: the model's file name carries a
# fingerprint (sha256) of data/, domain.yml, config.yml and the custom NLU
# components, so an existing file means "already trained on exactly this".
#   scripts/train_if_needed.sh          train if needed
#   scripts/train_if_needed.sh --print  print the model path for the current inputs
set -euo pipefail
cd "$(dirname "$0")/.."
fingerprint=$(
  { find data components safety -type f \( -name '*.yml' -o -name '*.py' \) -not -path '*/__pycache__/*' | LC_ALL=C sort
    echo domain.yml config.yml
  } | xargs sha256sum | sha256sum | cut -c1-16
)
model="models/nerve-pain-${fingerprint}.tar.gz"
if [ "${1:-}" = "--print" ]; then
  echo "$model"
  exit 0
fi
if [ -f "$model" ]; then
  echo "Model is up to date: $model"
  exit 0
fi
# One training per fingerprint at a time: a second caller waits, then reuses it.
mkdir -p models
exec 9>"models/.train-${fingerprint}.lock"
flock 9
if [ -f "$model" ]; then
  echo "Model is up to date: $model"
  exit 0
fi
echo "Training $model (inputs changed or no model yet)..."
start=$(date +%s)
.venv/bin/rasa train --fixed-model-name "nerve-pain-${fingerprint}" --out models --quiet
echo "Trained in $(( $(date +%s) - start )) s: $model"
