#!/usr/bin/env bash
# Install ESLint, pinned, into .cache/eslint (gitignored) for `make lint`, idempotently.
# Its own folder: an `npm install --no-save` elsewhere in .cache would remove it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=("eslint@9.39.1" "@eslint/js@9.39.1" "globals@16.5.0")
prefix=.cache/eslint
version_of() { node -p "require('./$prefix/node_modules/$1/package.json').version" 2>/dev/null || true; }
for spec in "${packages[@]}"; do
  if [ "$(version_of "${spec%@*}")" != "${spec##*@}" ]; then
    command -v npm >/dev/null || { echo "error: npm is needed to install ${packages[*]}" >&2; exit 1; }
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --no-package-lock \
      --loglevel=error "${packages[@]}" >/dev/null
    break
  fi
done
