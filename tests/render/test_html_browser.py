"""The HTML report in a real browser: Debian's chromium, headless, offline (scripts/ci/chromium.sh).

The report of a real run (latency and webhook logs the lab writes) is opened from a file, its
screenshot must not be blank and must show the charts' colours, and the DOM chromium built
must hold the findings and the chart labels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from diagnose.lab.convex_logs import write_scenario
from diagnose.lab.log_writers import synth_requests, write_logpush
from tests.support.cli import run_cli
from tests.support.png import Image, read_png

pytestmark = pytest.mark.lab

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed: bash scripts/ci/chromium.sh installs it"
)
SIZE = (900, 1300)


def _isolation() -> list[str]:
    """A network namespace of its own when the kernel allows one: then no packet can leave."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    probe = [unshare, "--net", "--map-root-user", "true"]
    if subprocess.run(probe, capture_output=True, timeout=10, check=False).returncode:
        return []
    return probe[:-1]


ISOLATION = _isolation() if CHROMIUM else []


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run chromium headless, in a namespace without network where it can, with everything
    that talks to the network switched off (it probes routes and resolvers even for a file)."""
    assert CHROMIUM is not None
    flags = [
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-breakpad",
        # No name resolves and no proxy is reachable: a page that tried to fetch could not.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        f"--user-data-dir={profile}",
    ]
    if ISOLATION or (hasattr(os, "geteuid") and os.geteuid() == 0):
        flags.append("--no-sandbox")  # chromium refuses to start as root with its sandbox
    return subprocess.run(
        [*ISOLATION, CHROMIUM, *flags, *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def _report(tmp_path: Path, command: list[str], name: str) -> Path:
    out = tmp_path / f"{name}.html"
    result = run_cli(*command, "--format", "html", "-o", str(out))
    assert result.code in (0, 1, 2), result.stderr
    return out


def _busy_share(image: Image) -> float:
    """The share of sampled pixels that are not the page's white background."""
    points = [(x, y) for y in range(0, image.height, 7) for x in range(0, image.width, 7)]
    busy = sum(1 for x, y in points if sum(image.rgb(x, y)) < 740)
    return busy / len(points)


def _reddish(image: Image) -> int:
    """Pixels in the colour of failures and the budget line (#c62828, anti-aliased)."""
    return sum(
        1
        for y in range(0, image.height, 2)
        for x in range(0, image.width, 2)
        if (p := image.rgb(x, y))[0] > 150 and p[1] < 90 and p[2] < 90
    )


def _variance(image: Image) -> float:
    values = [
        sum(image.rgb(x, y)) / 3
        for y in range(0, image.height, 5)
        for x in range(0, image.width, 5)
    ]
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


@needs_chromium
def test_latency_and_webhooks_reports_render_in_chromium(tmp_path: Path) -> None:
    spike = write_logpush(tmp_path / "requests.jsonl", synth_requests("traffic-spike"))
    latency = _report(
        tmp_path,
        ["latency", "--log", str(spike), "--now", "2026-11-27T10:31:00Z", "--since", "1h"],
        "latency",
    )
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    log = tmp_path / "convex.jsonl"
    write_scenario(log, "handler-errors", now)
    hooks = _report(
        tmp_path,
        ["webhooks", "--log", str(log), "--now", now.isoformat(), "--since", "1h", "--offline"],
        "webhooks",
    )
    for page, labels in (
        (
            latency,
            ["latency.traffic-spike", "budget 2.0 s", "p95 per minute (UTC)", "Timeline (UTC)"],
        ),
        (hooks, ["webhook.handler-errors", "webhook deliveries per minute", "failed"]),
    ):
        shot = tmp_path / f"{page.stem}.png"
        result = _chromium(
            tmp_path / f"profile-{page.stem}",
            f"--window-size={SIZE[0]},{SIZE[1]}",
            f"--screenshot={shot}",
            page.as_uri(),
        )
        assert shot.exists(), result.stderr[-2000:]
        image = read_png(shot)
        assert (image.width, image.height) == SIZE
        assert _variance(image) > 200, "the screenshot is blank"
        assert 0.03 < _busy_share(image) < 0.9
        assert _reddish(image) > 150, "no failure colour: the charts did not draw"
        dom = _chromium(tmp_path / f"profile-dom-{page.stem}", "--dump-dom", page.as_uri())
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert dom.stdout.count("<svg") >= 1 and "<script" not in dom.stdout
        for label in labels:
            assert label in dom.stdout, (page.name, label)
