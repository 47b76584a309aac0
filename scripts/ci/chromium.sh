#!/usr/bin/env bash
# Debian's chromium and the npm mermaid package, for the browser tests of the pictures
# (tests/render/test_html_browser.py: screenshot and DOM of real --format html reports;
# tests/render/test_mermaid_browser.py: the Markdown's Mermaid blocks parsed and drawn), offline.
# Idempotent and quiet; fast when both are there. What cannot be installed is said on stderr,
# and its test skips with the same reason.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
        $SUDO apt-get update -qq >/dev/null
        $SUDO env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "scripts/ci/chromium.sh: no chromium and no apt-get; the browser tests will be skipped" >&2
    fi
fi

MERMAID=11.17.2  # the Mermaid whose grammar diagnose/render/charts.py was checked against
DIR=.ci-cache/mermaid
if ! grep -qs "\"version\": \"$MERMAID\"" "$DIR/node_modules/mermaid/package.json"; then
    if command -v npm >/dev/null 2>&1; then
        mkdir -p "$DIR"
        [ -f "$DIR/package.json" ] || echo '{"name": "diagnose-ci-mermaid", "private": true}' > "$DIR/package.json"
        npm install --silent --no-audit --no-fund --prefix "$DIR" "mermaid@$MERMAID" >/dev/null
    else
        echo "scripts/ci/chromium.sh: no npm; the Mermaid test will be skipped" >&2
    fi
fi
