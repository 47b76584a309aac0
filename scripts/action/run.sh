#!/usr/bin/env bash
# The composite action's step (action.yml): install diagnose, run the command as a gate, report.
# diagnose itself writes the annotations (stderr) and the job summary when GITHUB_ACTIONS=true.
set -uo pipefail

: "${INPUT_COMMAND:?the action needs 'command', e.g. smoke --url https://dashtray.com}"
fail_on="${INPUT_FAIL_ON:-critical}"
case "$fail_on" in
  critical) limit=2 ;;
  warning) limit=1 ;;
  *) echo "::error title=diagnose action::fail-on must be critical or warning, not '$fail_on'"; exit 3 ;;
esac

python="${DIAGNOSE_PYTHON:-python3}"
if [ -z "${DIAGNOSE_SKIP_INSTALL:-}" ]; then
  "$python" -m pip install --quiet --disable-pip-version-check "${INPUT_INSTALL:-${GITHUB_ACTION_PATH:-.}}" || {
    echo "::error title=diagnose action::pip install ${INPUT_INSTALL:-${GITHUB_ACTION_PATH:-.}} failed"
    exit 3
  }
fi

# The command is the user's words split as the shell would: quote in the input what must stay one word.
eval "set -- $INPUT_COMMAND"
junit=()
if [ -n "${INPUT_JUNIT:-}" ]; then junit=(--junit "$INPUT_JUNIT"); fi
"$python" -m diagnose "$@" "${junit[@]}"
code=$?

case "$code" in
  0) status=ok ;; 1) status=warning ;; 2) status=critical ;; *) status=unknown ;;
esac
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "status=$status"; echo "exit-code=$code"; } >> "$GITHUB_OUTPUT"
fi
# Unknown (3: nothing could be judged, or bad input) always fails: a gate never passes blind.
if [ "$code" -ge "$limit" ]; then exit "$code"; fi
exit 0
