#!/usr/bin/env bash
# CI: the reference JavaScript `standardwebhooks` library (what the DodoPayments Convex adapter
# verifies with), for tests/families/webhooks/test_reference_js.py. Idempotent and quiet; without
# node the test skips with its reason.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=1.1.1
DIR=.ci-cache/standardwebhooks
command -v npm >/dev/null 2>&1 || { echo "scripts/ci/standardwebhooks.sh: no npm; the reference-JS tests will be skipped" >&2; exit 0; }
if grep -qs "\"version\": \"$VERSION\"" "$DIR/node_modules/standardwebhooks/package.json"; then
    exit 0
fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"name": "diagnose-ci-standardwebhooks", "private": true}' > "$DIR/package.json"
npm install --silent --no-audit --no-fund --prefix "$DIR" "standardwebhooks@$VERSION" >/dev/null
