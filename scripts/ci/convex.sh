#!/usr/bin/env bash
# CI: Node.js and the npm `convex` package, for the tests that run the real Convex CLI against a
# local stand-in (tests/sources). Idempotent, quiet, and fast when already installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=1.48.0  # the CLI whose source diagnose/sources/convex_cli.py was read against
DIR=.ci-cache/convex
if ! command -v node >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
        $SUDO apt-get update -qq >/dev/null
        $SUDO apt-get install -y -qq nodejs npm >/dev/null
    else
        echo "scripts/ci/convex.sh: no node and no apt-get; the Convex CLI tests will be skipped" >&2
        exit 0
    fi
fi
if [ -x "$DIR/node_modules/.bin/convex" ] && grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/convex/package.json"; then
    exit 0
fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"name": "diagnose-ci-convex", "private": true}' > "$DIR/package.json"
npm install --silent --no-audit --no-fund --prefix "$DIR" "convex@$VERSION" >/dev/null
