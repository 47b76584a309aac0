#!/usr/bin/env bash
# Debian's chromium, for the browser test of --format html (tests/render/test_html_browser.py:
# a headless screenshot and DOM dump of real reports, offline). Idempotent and quiet; fast when
# chromium is there. Without apt-get it says so and the test skips with the same reason.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "scripts/ci/chromium.sh: no chromium and no apt-get; the browser test will be skipped" >&2
    exit 0
fi
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
$SUDO apt-get update -qq >/dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
