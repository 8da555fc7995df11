#!/usr/bin/env bash
# Install what the browser tests (tests/browser) need, idempotently:
#   - headless Chromium + chromedriver from Debian (only if /usr/bin/chromium is missing);
#   - axe-core, pinned, into .cache/npm (gitignored) for the accessibility check.
# Playwright's own `playwright install` downloads a browser build, which is not
# possible here, so the tests drive /usr/bin/chromium instead.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_CORE_VERSION=${AXE_CORE_VERSION:-4.14.1}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  echo "Installing chromium from Debian..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver fonts-liberation >/dev/null
fi
"$CHROMIUM" --version 2>/dev/null

axe=.cache/npm/node_modules/axe-core
installed=$(node -p "require('./$axe/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$AXE_CORE_VERSION" ]; then
  command -v npm >/dev/null || { echo "error: npm is needed to install axe-core" >&2; exit 1; }
  echo "Installing axe-core $AXE_CORE_VERSION into .cache/npm..."
  mkdir -p .cache/npm
  npm install --prefix .cache/npm --no-save --no-audit --no-fund --no-package-lock \
    --loglevel=error "axe-core@$AXE_CORE_VERSION" >/dev/null
fi
echo "axe-core $(node -p "require('./$axe/package.json').version") in $axe"
