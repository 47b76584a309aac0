"""Secrets canary suite: every command runs with canary secrets; not one byte of them is written.

Canaries sit in the webhook secret, a secret env var named in diagnose.toml, env values of a
`convex env list`, bearer tokens and URLs with passwords. Every command writes its report,
saves its facts (--save-facts) and attaches to a local webhook sink (--attach webhook:URL) with
the incident log in a temporary SQLite file. The suite then reads every byte: stdout, stderr,
the saved facts, the SQLite file and its -wal/-shm, and every request the sink received.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from diagnose.lab.dns_server import serve_dns
from diagnose.lab.http_app import serve as serve_app
from diagnose.lab.tls_server import serve_tls
from diagnose.lab.webhook_receiver import serve as serve_receiver
from tests.support.cli import ROOT, Result
from tests.support.incident_api import Api, json_reply, run, serve

pytestmark = pytest.mark.lab  # every test here starts a server or a process

WHSEC = "whsec_Q2FuYXJ5V2ViaG9va1NlY3JldDAwMDAwMQ=="
TOKEN = "canaryTok3n7f3a9b2c1d4e5f"
PASSWORD = "canaryPassw0rd9x8y7z"
BEARER = "canaryBearer0a1b2c3d4e5f6a7b8c9d"
ENV_VALUE = "canaryEnvValue5u6v7w8x9y0z"
CANARIES = (WHSEC, WHSEC[6:], WHSEC[6:-2], TOKEN, PASSWORD, BEARER, ENV_VALUE)
ENV = {"DODO_PAYMENTS_WEBHOOK_KEY": WHSEC, "MY_API_TOKEN": TOKEN}
NOW = "2026-11-27T10:00:00Z"


@dataclass
class Written:
    """Everything diagnose wrote during the suite, by where it went."""

    runs: dict[str, Result] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    sinks: list[Api] = field(default_factory=list)

    def places(self) -> Iterator[tuple[str, bytes]]:
        """Yield (where, bytes) for every output, file and request."""
        for name, r in self.runs.items():
            yield f"{name} stdout", r.stdout.encode()
            yield f"{name} stderr", r.stderr.encode()
        for path in self.files:
            for p in [path, *path.parent.glob(path.name + "-*")]:
                if p.exists():
                    yield str(p.name), p.read_bytes()
        for api in self.sinks:
            yield f"sink {api.url}", api.raw()


def _project(tmp: Path) -> dict[str, Path]:
    """Input files laced with canaries."""
    convex_env = tmp / "convex.env"
    convex_env.write_text(
        (ROOT / "fixtures" / "projects" / "complete" / "convex.env")
        .read_text()
        .replace("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", WHSEC)
        + f"MY_API_TOKEN={TOKEN}\nCONVEX_SITE_SECRET={ENV_VALUE}\n"
    )
    build_log = tmp / "build.log"
    build_log.write_text(
        (ROOT / "fixtures" / "build" / "missing-env.pages.log").read_text()
        + f'curl -H "Authorization: Bearer {BEARER}" https://admin:{PASSWORD}@registry.example/\n'
        + f"DODO_PAYMENTS_WEBHOOK_KEY={WHSEC}\n"
    )
    config = tmp / "diagnose.toml"
    config.write_text('[secrets]\nenv = ["MY_API_TOKEN"]\n')
    return {"convex_env": convex_env, "build_log": build_log, "config": config}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Written]:
    """Run every command once with the canaries; collect what each wrote."""
    tmp = tmp_path_factory.mktemp("canaries")
    files = _project(tmp)
    out = Written()
    db = tmp / "incidents.sqlite3"
    env = {**ENV, "DIAGNOSE_INCIDENT_DB": str(db)}
    out.files.append(db)
    with ExitStack() as stack:
        sink = stack.enter_context(serve(lambda seen: json_reply(200, {"ok": True})))
        replay_sink = stack.enter_context(serve(lambda seen: json_reply(204, {})))
        out.sinks += [sink, replay_sink]
        app = stack.enter_context(serve_app("server-error"))
        tls = stack.enter_context(serve_tls())
        resolver = stack.enter_context(serve_dns("good"))
        receiver = stack.enter_context(serve_receiver(secret=WHSEC, fault="healthy"))
        host = app.url.removeprefix("http://")
        secret_url = f"http://admin:{PASSWORD}@{host}/?token={TOKEN}"
        rhost = receiver.url.removeprefix("http://")
        har = ROOT / "fixtures" / "webhooks" / "deliveries.har"
        commands: dict[str, list[str]] = {
            "smoke": ["smoke", "--url", secret_url, "--convex-url", secret_url],
            "ssl": [
                "ssl",
                "expired.dashtray.test",
                "--resolver",
                resolver.address,
                "--connect-to",
                tls.address("expired"),
                "--ca-file",
                str(tls.root_file),
            ],
            "dns": ["dns", "nope.dashtray.test", "--resolver", resolver.address],
            "webhooks": [
                "webhooks",
                "--log",
                str(ROOT / "fixtures" / "webhooks" / "convex-handler-errors.jsonl"),
                "--capture",
                str(har),
                "--endpoint",
                f"http://admin:{PASSWORD}@{rhost}?token={TOKEN}",
            ],
            "env": [
                "env",
                "--project",
                str(ROOT / "fixtures" / "projects" / "complete"),
                "--convex-env",
                str(files["convex_env"]),
            ],
            "build": ["build", str(files["build_log"])],
            "latency": ["latency", secret_url, "-n", "3"],
        }
        for name, args in commands.items():
            facts = tmp / f"{name}.facts.json"
            out.files.append(facts)
            for fmt in ("json", "markdown"):
                extra = ["--save-facts", str(facts), "--attach", f"webhook:{sink.url}/hook"]
                out.runs[f"{name} {fmt}"] = run(
                    [
                        *args,
                        "--format",
                        fmt,
                        "--timeout",
                        "5",
                        "--config",
                        str(files["config"]),
                        *(extra if fmt == "json" else []),
                    ],
                    env,
                    cwd=tmp,
                )
            out.runs[f"replay {name}"] = run(["replay", str(facts), "--format", "markdown"], env)
        replay = ["webhooks", "replay", "msg_fixture0001", "--capture", str(har)]
        replay += ["--config", str(files["config"])]
        out.runs["webhooks replay"] = run(
            [*replay, "--to", f"{replay_sink.url}/hook?token={TOKEN}"], env
        )
        # The receiver's own URL is no leak to it: --send goes to a URL without the token.
        out.runs["webhooks replay --send"] = run(
            [*replay, "--to", f"{replay_sink.url}/hook", "--send"], env
        )
        out.runs["incident list"] = run(["incident", "list", "--format", "json"], env)
        ref = f"webhook:{sink.url}/hook"
        out.runs["incident show"] = run(["incident", "show", ref, "--format", "markdown"], env)
        yield out


def test_every_command_ran(written: Written) -> None:
    for name, result in written.runs.items():
        assert "Traceback" not in result.stderr, (name, result.stderr)
        assert result.code in (0, 1, 2), (name, result.code, result.stderr)
    assert len(written.sinks[0].seen) >= 7, "every check attached to the sink"
    assert len(written.sinks[1].seen) == 1, "replay --send sent once"
    assert json.loads(written.runs["smoke json"].stdout)["findings"], "a real diagnosis"


@pytest.mark.parametrize("canary", CANARIES)
def test_canary_leaked_nowhere(written: Written, canary: str) -> None:
    leaks = [where for where, data in written.places() if canary.encode() in data]
    assert leaks == [], f"{canary} leaked into {leaks}"


def test_zz_figures(written: Written) -> None:
    """The figures docs/reliability.md quotes (pytest -s)."""
    places: list[tuple[str, Any]] = list(written.places())
    leaked = sum(1 for c in CANARIES for _, data in places if c.encode() in data)
    size = sum(len(d) for _, d in places)
    print(
        f"commands run {len(written.runs)}, places read {len(places)} ({size} bytes), "
        f"sink requests {sum(len(s.seen) for s in written.sinks)}, "
        f"canaries {len(CANARIES)}, leaked {leaked}"
    )
    assert leaked == 0
