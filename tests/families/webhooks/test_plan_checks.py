"""Bad webhooks input is one line before anything is read or fetched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diagnose.config import Config
from diagnose.errors import BadInput
from diagnose.families.webhooks.options import WebhooksOptions
from diagnose.families.webhooks.plan import command_plan
from diagnose.options import resolve

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _opts(**given: object) -> WebhooksOptions:
    return resolve(WebhooksOptions, Config(), given)


def test_stdin_given_to_both_log_and_capture_is_refused() -> None:
    # Two probes would race for one stdin and the loser would say "the log is empty".
    with pytest.raises(BadInput, match="stdin can be read only once"):
        command_plan(_opts(logs=["-"], captures=["-"]), None, NOW)


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(BadInput, match="is not before --until"):
        command_plan(_opts(logs=["-"]), NOW + timedelta(hours=1), NOW)


def test_a_bad_function_pattern_is_refused() -> None:
    with pytest.raises(BadInput, match="bad --function"):
        command_plan(_opts(logs=["-"], function_match="("), None, NOW)
