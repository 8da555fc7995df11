#!/usr/bin/env bash
# Install what the browser tests (tests/browser) need, idempotently:
#   - headless Chromium + chromedriver from Debian (only if /usr/bin/chromium is missing);
#   - axe-core, pinned, into .cache/npm (gitignored) for the accessibility check;
#   - rasa-webchat, pinned, into .cache/npm for the Socket.IO test (test_webchat.py).
# Playwright's own `playwright install` downloads a browser build, which is not
# possible here, so the tests drive /usr/bin/chromium instead.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_CORE_VERSION=${AXE_CORE_VERSION:-4.14.1}
WEBCHAT_VERSION=${WEBCHAT_VERSION:-1.0.1}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  echo "Installing chromium from Debian..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver fonts-liberation >/dev/null
fi
"$CHROMIUM" --version 2>/dev/null

# Both packages in one `npm install`: with --no-save, npm removes the packages
# that a previous --no-save install put there.
packages=("axe-core@$AXE_CORE_VERSION" "rasa-webchat@$WEBCHAT_VERSION")
version_of() { node -p "require('./.cache/npm/node_modules/$1/package.json').version" 2>/dev/null || true; }
missing=0
for spec in "${packages[@]}"; do
  [ "$(version_of "${spec%@*}")" = "${spec##*@}" ] || missing=1
done
if [ "$missing" = 1 ]; then
  command -v npm >/dev/null || { echo "error: npm is needed to install ${packages[*]}" >&2; exit 1; }
  echo "Installing ${packages[*]} into .cache/npm..."
  mkdir -p .cache/npm
  npm install --prefix .cache/npm --no-save --no-audit --no-fund --no-package-lock \
    --loglevel=error "${packages[@]}" >/dev/null
fi
for spec in "${packages[@]}"; do
  echo "${spec%@*} $(version_of "${spec%@*}") in .cache/npm/node_modules/${spec%@*}"
done
