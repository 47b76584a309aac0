"""Issue 21, the second hostile round: each test is one attack of the issue, by its number."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from diagnose.errors import BadInput
from diagnose.redact import Redactor
from diagnose.safefiles import read_input, write_file
from tests.support.cli import ROOT

NOW = "2026-11-27T10:00:00Z"
# Full of what Markdown, XML, JSON and URLs escape: a canary must survive every format's escaping.
CANARY = 'Zq9_x<K&"t*`|\\m_P2'


@pytest.fixture(autouse=True)
def _own_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here writes its incident and deploy logs in its own folder, never the user's."""
    monkeypatch.setenv("DIAGNOSE_INCIDENT_DB", str(tmp_path / "own-incidents.db"))


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from diagnose.cli import main

    with pytest.raises(SystemExit) as done:
        main(args)
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


def _diagnosis(secret: str):  # type: ignore[no-untyped-def]
    from diagnose.model import Confidence, Diagnosis, FactSet, Finding, Severity, Status

    finding = Finding(
        id="x.leak",
        title=f"title {secret}",
        severity=Severity.CRITICAL,
        confidence=Confidence.HIGH,
        score=1.0,
        message=f"the key is {secret}",
        evidence=(f"evidence {secret}", f"url http://h/?access_token={secret}&api_key=k"),
        remediation=(f"rotate {secret}",),
    )
    facts = FactSet("smoke", "t", NOW, (), {"k": secret})
    return Diagnosis(
        "smoke", f"https://h/?token={secret}", NOW, NOW, Status.CRITICAL, (finding,), (), (), facts
    )


def _escaped_forms_absent(text: str, secret: str) -> None:
    from diagnose.redact import escaped_forms

    for form in escaped_forms(secret):
        assert form not in text, (form, text)


# 1, 2: escaping before redaction ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["markdown", "text", "json"])
def test_1_rendered_formats_carry_no_escaped_secret(fmt: str) -> None:
    from diagnose.render import OutputFormat, renderer

    secret = "sk_live_" + CANARY
    redactor = Redactor([secret])
    text = redactor.text(renderer(OutputFormat(fmt), redactor=redactor)(_diagnosis(secret)))
    _escaped_forms_absent(text, secret)
    assert "sk\\_live\\_" not in text and "access\\_token=k" not in text


def test_1_query_tokens_masked_in_markdown() -> None:
    from diagnose.render import OutputFormat, renderer

    redactor = Redactor()
    text = renderer(OutputFormat.MARKDOWN, redactor=redactor)(_diagnosis("Ab3dEf6hIj9kLm"))
    assert "token=Ab3d" not in text and "token\\=Ab3d" not in text, text
    assert "access\\_token=[REDACTED]" in text or "access_token=[REDACTED]" in text, text


def test_2_junit_carries_no_escaped_secret() -> None:
    from diagnose.render.junit import render_junit

    secret = "whsec_" + CANARY
    redactor = Redactor([secret])
    text = redactor.text(render_junit(redactor.model(_diagnosis(secret))))
    _escaped_forms_absent(text, secret)
    # and the final check alone catches what a renderer escaped without masking first
    assert secret not in redactor.text(render_junit(_diagnosis(secret)))
    _escaped_forms_absent(redactor.text(render_junit(_diagnosis(secret))), secret)


# 4, 7: stderr and userinfo -----------------------------------------------------------------------


def test_4_bad_input_lines_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    url = "http://admin:pa55word99@127.0.0.1:99999/?access_token=Tk9sekrit42&x=1"
    code, out, err = _main(["smoke", "--url", url, "--format", "json"], capsys)
    assert code == 3 and not out
    assert "pa55word99" not in err and "Tk9sekrit42" not in err, err
    assert err.startswith("diagnose: ")


def test_7_token_only_userinfo_is_masked() -> None:
    token = "ghx0123456789abcdefTOKEN"
    for url in (f"http://{token}:@host/", f"https://{token}@host/x"):
        assert token not in Redactor().text(url), url


# 5: a cut that splits a secret ------------------------------------------------------------------


def test_5_a_secret_cut_at_a_bound_is_still_masked() -> None:
    secret = "Zq9XkP2mW7rT4vB8nL1c"
    r = Redactor([secret])
    assert secret[:9] not in r.text(f"token={secret[:9]}…")
    assert secret[-9:] not in r.text(f"…{secret[-9:]} rest")
    assert r.text("an ordinary word…") == "an ordinary word…"


# 13, 14: endless and never-ending inputs --------------------------------------------------------


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def _never_hangs(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run in a thread with a guard: before the fix these hung or grew without end."""
    got: dict[str, object] = {}

    def run() -> None:
        try:
            got["result"] = _main(args, capsys)
        except BaseException as exc:  # noqa: BLE001 - reported below
            got["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(20)
    assert not thread.is_alive(), f"hung: {args}"
    assert "error" not in got, got
    code, out, err = got["result"]  # type: ignore[misc]
    assert code == 3, (code, out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("diagnose: "), err
    assert "internal error" not in err
    return err


COMMANDS_READING = {
    "replay": lambda f: ["replay", f],
    "incident attach": lambda f: ["incident", "attach", "INC-1", f],
    "--config": lambda f: ["smoke", "--url", "http://127.0.0.1:9/", "--config", f],
    "--targets": lambda f: ["dns", "--targets", f, "--resolver", "127.0.0.1:9"],
    "webhooks --log": lambda f: ["webhooks", "--log", f],
    "webhooks --capture": lambda f: ["webhooks", "--capture", f],
    "latency --log": lambda f: ["latency", "--log", f],
    "build": lambda f: ["build", f],
    "ssl --ca-file": lambda f: ["ssl", "dashtray.test", "--ca-file", f],
    "checklist post-deploy --log": lambda f: ["checklist", "post-deploy", "--log", f],
}


@pytest.mark.parametrize("command", list(COMMANDS_READING))
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_13_14_pipes_and_devices_are_refused(
    command: str, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIAGNOSE_INCIDENT_DB", str(tmp_path / "incidents.db"))
    path = str(_fifo(tmp_path) if kind == "fifo" else "/dev/zero")
    err = _never_hangs(COMMANDS_READING[command](path), capsys)
    assert "not a regular file" in err, err


def test_13_stdin_is_read_only_up_to_a_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
            b[:] = b"0" * len(b)
            return len(b)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    with pytest.raises(BadInput, match="larger than"):
        read_input("-", "facts", 1 << 20)


def test_13_a_user_rule_file_is_read_bounded(tmp_path: Path) -> None:
    from diagnose.rules.load import lint

    folder = tmp_path / "rules" / "x"
    folder.mkdir(parents=True)
    (folder / "big.yaml").write_text("title: x\n" + "# pad\n" * (1 << 18))
    problems = lint([tmp_path / "rules"], frozenset())
    assert any("larger than" in p.message for p in problems), problems


# 15: YAML aliases ---------------------------------------------------------------------------------


def test_15_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    from diagnose.rules.load import lint

    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    folder = tmp_path / "rules" / "bomb"
    folder.mkdir(parents=True)
    (folder / "boom.yaml").write_text("\n".join(levels) + "\ntitle: boom\n")
    problems = lint([tmp_path / "rules"], frozenset())
    assert [p.message for p in problems] == ["YAML aliases (*name) are not allowed in rules"]
    assert problems[0].line == 2


# 19: bounded quoted values ------------------------------------------------------------------------


def test_19_targets_error_quotes_a_bounded_line(tmp_path: Path) -> None:
    from diagnose.inputs import read_targets

    path = tmp_path / "targets.txt"
    path.write_text("dashtray.com\n" + "x/" * 3_000_000 + "\n")
    with pytest.raises(BadInput) as err:
        read_targets(str(path))
    assert str(err.value).startswith(f"--targets {path}:2: bad DOMAIN")
    assert len(str(err.value)) < 400


def test_19_stderr_line_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _main(["dns", "x" * 200_000 + "/"], capsys)
    assert code == 3 and len(err) < 1200, len(err)


# 20: files written safely -------------------------------------------------------------------------


def test_20_output_never_follows_a_planted_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "out.json"
    link.symlink_to(victim)
    with pytest.raises(BadInput, match="symbolic link"):
        write_file(link, "evidence")
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("option", ["--output", "--save-facts"])
def test_20_cli_writes_refuse_symlinks_and_are_private(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "link"
    link.symlink_to(victim)
    log = ROOT / "fixtures" / "build"
    build_log = next(p for p in sorted(log.rglob("*")) if p.is_file())
    args = ["build", str(build_log), "--format", "json", "--now", NOW]
    code, _, err = _main([*args, option, str(link)], capsys)
    assert code == 3 and "symbolic link" in err, err
    assert victim.read_text() == "precious\n"
    fresh = tmp_path / "fresh"
    code, _, err = _main([*args, option, str(fresh)], capsys)
    assert code != 3 or "symbolic" not in err, err
    assert fresh.exists(), err
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_20_write_is_atomic_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(BadInput, match="No space left"):
        write_file(target, json.dumps({"new": True}))
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


# 6: deploy record ---------------------------------------------------------------------------------


def test_6_deploy_record_masks_what_it_stores_and_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk_live_" + "Qw3rTy8uIo0pAs"
    token = "ghp_" + "A" * 36
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIAGNOSE_INCIDENT_DB", str(tmp_path / "incidents.db"))
    monkeypatch.setenv("GITHUB_TOKEN", token)
    args = ["deploy", "record", "--version", f"v1 {token}", "--commit", "abc1234"]
    code, out, _ = _main(
        [*args, "--notes", f"key {secret}", "--by", token, "--format", "json"], capsys
    )
    assert code == 0
    assert secret not in out and token not in out, out
    code, out, _ = _main(["deploy", "list", "--format", "json"], capsys)
    assert code == 0 and '"abc1234"' in out
    assert secret not in out and token not in out, out
    for db in tmp_path.rglob("*.db"):
        raw = db.read_bytes()
        assert secret.encode() not in raw and token.encode() not in raw


# 17, 18: numbers JSON cannot hold -------------------------------------------------------------------


def test_17_18_strict_json_reader() -> None:
    from diagnose.strictjson import BadNumber, loads

    assert loads('{"t": 1732700000000000000, "x": 1.5}') == {"t": 1732700000000000000, "x": 1.5}
    for bad in (
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": -Infinity}',
        '{"a": 1e999}',
        '{"a": ' + "9" * 5000 + "}",
        '{"a": ' + "9" * 25 + "}",
    ):
        with pytest.raises(BadNumber):
            loads(bad)


def _logpush_line(**changes: object) -> str:
    line = (ROOT / "fixtures" / "latency" / "http_requests.jsonl").read_text().splitlines()[0]
    return line.rstrip("}") + "".join(f', "{k}": {v}' for k, v in changes.items()) + "}"


@pytest.mark.parametrize(
    "value", ["NaN", "Infinity", "9" * 5000], ids=["nan", "infinity", "5000-digits"]
)
def test_17_18_a_bad_number_is_a_bad_line_and_output_is_strict_json(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "requests.jsonl"
    good = (ROOT / "fixtures" / "latency" / "http_requests.jsonl").read_text()
    log.write_text(good + _logpush_line(EdgeTimeToFirstByteMs=value) + "\n")
    code, out, err = _main(["latency", "--log", str(log), "--format", "json", "--now", NOW], capsys)
    assert "internal error" not in err, err
    doc = json.loads(out, parse_constant=lambda c: pytest.fail(f"bare {c} in the output"))
    assert all(p["status"] == "ok" for p in doc["probes"]), doc["probes"]
    assert code in (0, 1, 2, 3)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1" * 5000])
def test_17_18_replay_of_a_facts_file_with_a_bad_number(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(
        '{"command": "smoke", "target": "t", "now": "' + NOW + '", "probes": [], '
        '"facts": {"smoke.homepage.elapsed_ms": ' + value + "}}"
    )
    code, out, err = _main(["replay", str(facts), "--format", "json"], capsys)
    assert code == 3 and not out, out
    assert err.startswith("diagnose: ") and "internal error" not in err, err


def test_18_output_never_holds_bare_nan() -> None:
    text = Redactor().json({"a": float("nan"), "b": [float("inf")], "c": 1.5})
    assert json.loads(text) == {"a": None, "b": [None], "c": 1.5}


# 24: exact ids ------------------------------------------------------------------------------------


def test_24_replay_matches_ids_exactly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DODO_PAYMENTS_WEBHOOK_KEY", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    har = str(ROOT / "fixtures" / "webhooks" / "deliveries.har")
    base = ["webhooks", "replay", "--capture", har, "--to", "http://127.0.0.1:9/webhooks/dodo"]
    code, out, err = _main([*base[:2], "pay_000", *base[2:]], capsys)
    assert code == 3 and "no delivery" in err, (code, out, err)
    code, out, err = _main([*base[:2], "msg_fixture000", *base[2:]], capsys)
    assert code == 3 and "no delivery" in err, (code, out, err)
    code, out, err = _main([*base[:2], "pay_0002", *base[2:]], capsys)
    assert code == 0 and "msg_fixture0002" in out, (code, out, err)


# 25: the suite's own determinism -------------------------------------------------------------------


def test_25_property_tests_are_derandomized_unless_fuzzing() -> None:
    from hypothesis import settings

    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci":
        assert settings.default.derandomize is True
        assert settings.default.database is None
    assert (ROOT / "benchmarks" / "fuzz.py").is_file()


def test_25_the_fuzz_run_reports_its_seed() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("fuzz", ROOT / "benchmarks" / "fuzz.py")
    assert spec and spec.loader
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    assert all((ROOT / p).is_file() for p in fuzz.PROPERTIES)


# 3, 23: sink URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "webhook:http://u:p@127.0.0.1:1x/",
        "webhook:http://[::1/x",
        "webhook:http://127.0.0.1/ho\x01ok",
        "webhook:http://127.0.0.1/ho ok",
        "webhook:http://user:Pa55w0rd@127.0.0.1/hook",
        "webhook:http://TOKEN0123456789abcdef:@127.0.0.1/hook",
    ],
)
def test_3_23_bad_or_credentialed_sink_urls_refused_before_the_run(url: str) -> None:
    from diagnose.incidents.sinks import parse_sink

    with pytest.raises(BadInput) as err:
        parse_sink(url)
    for secret in ("Pa55w0rd", "Sekrit0123", "TOKEN0123456789abcdef"):
        assert secret not in str(err.value), err.value


def test_3_23_cli_leaves_no_pending_delivery(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "incidents.db"
    monkeypatch.setenv("DIAGNOSE_INCIDENT_DB", str(db))
    build_log = ROOT / "fixtures" / "build" / "healthy.gha.log"
    args = ["build", str(build_log), "--now", NOW, "--attach", "webhook:http://u:p@127.0.0.1:1x/"]
    code, out, err = _main(args, capsys)
    assert code == 3 and not out and "u:p" not in err, (code, err)
    assert not db.exists() or b"127.0.0.1" not in db.read_bytes()


def test_3_incident_log_is_private(tmp_path: Path) -> None:
    from diagnose.incidents.store import Store

    with Store(tmp_path / "incidents.db") as store:
        store.open_incident("t", "sev2")
    assert stat.S_IMODE((tmp_path / "incidents.db").stat().st_mode) == 0o600


# 21: SQLite errors ----------------------------------------------------------------------------------


def test_21_a_damaged_incident_log_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from diagnose.incidents.store import Store

    db = tmp_path / "incidents.db"
    with Store(db) as store:
        for i in range(50):
            store.open_incident(f"incident {i} " + "x" * 500, "sev2")
    raw = bytearray(db.read_bytes())
    page = 4096
    raw[page : len(raw)] = os.urandom(len(raw) - page)  # every page but the first
    db.write_bytes(bytes(raw))
    for wal in tmp_path.glob("incidents.db-*"):
        wal.unlink()
    monkeypatch.setenv("DIAGNOSE_INCIDENT_DB", str(db))
    code, out, err = _main(["incident", "list"], capsys)
    assert code == 3, (code, out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("diagnose: ") and "internal error" not in err


# 22: the lab daemon is identified before it is signalled -------------------------------------------


@pytest.mark.lab
def test_22_lab_down_never_signals_a_planted_pid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        monkeypatch.setenv("DIAGNOSE_LAB_DIR", str(tmp_path))
        state = {"pid": victim.pid, "scenario": "healthy", "config": "x", "endpoints": {},
                 "env": {}, "token": "0" * 32}  # fmt: skip
        (tmp_path / "lab.json").write_text(json.dumps(state))
        code, out, _ = _main(["lab", "down"], capsys)
        assert code == 0 and "no lab is running" in out, out
        assert victim.poll() is None, "lab down killed a process that is not the lab"
    finally:
        victim.kill()
        victim.wait()


@pytest.mark.parametrize("drop", ["scenario", "endpoints", "token", "pid"])
def test_22_lab_status_with_keys_missing_is_no_lab(
    drop: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIAGNOSE_LAB_DIR", str(tmp_path))
    state = {"pid": os.getpid(), "scenario": "healthy", "config": "x", "endpoints": {},
             "env": {}, "token": "0" * 32}  # fmt: skip
    del state[drop]
    (tmp_path / "lab.json").write_text(json.dumps(state))
    code, out, err = _main(["lab", "status"], capsys)
    assert code == 1 and "no lab is running" in out, (code, out, err)
    assert "internal error" not in err


# 8: redirects never leave the target's site ---------------------------------------------------------


@pytest.mark.lab
def test_8_smoke_records_an_offsite_redirect_and_never_fetches_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.support.incident_api import json_reply, serve

    canary = "AKIAZQ9XKP2MW7RT4VB8"
    with serve(lambda seen: json_reply(200, {"AccessKeyId": canary})) as metadata:
        # The site is named localhost, the redirect goes to 127.0.0.1: another host, same machine.
        offsite = metadata.url + "/latest/meta-data/iam/security-credentials/role"
        with serve(lambda seen: (302, {"Location": offsite}, b"")) as site:
            url = site.url.replace("127.0.0.1", "localhost")
            args = ["smoke", "--url", url, "--format", "json", "--timeout", "5"]
            code, out, err = _main(args, capsys)
            assert site.seen, "the site itself was not asked"
        assert metadata.seen == [], "followed a redirect to another host"
    assert canary not in out + err
    doc = json.loads(out)
    assert doc["facts"]["smoke.homepage.redirect_offsite"] == offsite
    assert "http.redirect-offsite" in [f["id"] for f in doc["findings"]], doc["findings"]
    assert code in (1, 2)


# 10: the AIA fetch follows the same rule --------------------------------------------------------------


@pytest.mark.lab
def test_10_aia_fetch_never_follows_a_redirect_to_another_host() -> None:
    from diagnose.families.ssl.tls import _fetch_aia
    from tests.support.incident_api import serve

    with serve(lambda seen: (200, {"Content-Type": "application/pkix-cert"}, b"x")) as other:
        offsite = other.url + "/issuer.der"  # 127.0.0.1, while the AIA URL names localhost
        with serve(lambda seen: (302, {"Location": offsite}, b"")) as aia:
            url = aia.url.replace("127.0.0.1", "localhost")
            assert _fetch_aia(url + "/ca.der", 3.0) is None
            assert len(aia.seen) == 1
        assert other.seen == [], "the AIA fetch followed a redirect to another host"


# 9, 11, 12: sinks ---------------------------------------------------------------------------------------


def _payload():  # type: ignore[no-untyped-def]
    from diagnose.incidents.sinks import Payload

    return Payload("k1", "INC-1", "headline", "# md", "plain", '{"findings": []}')


def _send(spec_text: str):  # type: ignore[no-untyped-def]
    from diagnose.config import Config
    from diagnose.incidents.sinks import parse_sink, send

    spec = parse_sink(spec_text)
    assert spec is not None
    return send(spec, _payload(), Config(), Redactor())


@pytest.mark.lab
def test_9_github_token_never_follows_a_next_link_to_another_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from diagnose.incidents.sinks import SendError
    from tests.support.incident_api import json_reply, serve

    token = "ghp_" + "B" * 36
    with serve(lambda seen: json_reply(200, [])) as elsewhere:
        other = elsewhere.url.replace("127.0.0.1", "localhost")

        def github(seen):  # type: ignore[no-untyped-def]
            link = f'<{other}/steal?page=2>; rel="next"'
            return json_reply(200, [], {"Link": link})

        with serve(github) as api:
            monkeypatch.setenv("GITHUB_TOKEN", token)
            monkeypatch.setenv("DIAGNOSE_GITHUB_API", api.url)
            monkeypatch.setenv("DIAGNOSE_SINK_BACKOFF", "0")
            with pytest.raises(SendError, match="another host"):
                _send("github:acme/dashtray#12")
        assert elsewhere.seen == [], "the token went to another host"


@pytest.mark.lab
def test_11_github_post_that_may_have_arrived_is_found_not_reposted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.support.incident_api import json_reply, serve

    comments: list[dict[str, object]] = []

    def github(seen):  # type: ignore[no-untyped-def]
        if seen.method == "GET":
            return json_reply(200, comments)
        comments.append({"id": 900 + len(comments), "body": seen.json()["body"]})
        return json_reply(502, {"message": "Bad Gateway"})  # stored, but the answer was lost

    with serve(github) as api:
        monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "C" * 36)
        monkeypatch.setenv("DIAGNOSE_GITHUB_API", api.url)
        monkeypatch.setenv("DIAGNOSE_SINK_BACKOFF", "0")
        sent = _send("github:acme/dashtray#12")
        posts = [s for s in api.seen if s.method == "POST"]
    assert len(posts) == 1 and len(comments) == 1, "posted again after it had arrived"
    assert sent.remote_id == "900"


@pytest.mark.lab
def test_11_webhook_retries_carry_one_idempotency_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.incident_api import json_reply, serve

    with serve(lambda seen: json_reply(502 if len(api.seen) < 3 else 200, {})) as api:
        monkeypatch.setenv("DIAGNOSE_SINK_BACKOFF", "0")
        _send(f"webhook:{api.url}/hook")
        keys = {s.headers.get("Idempotency-Key") for s in api.seen}
    assert len(api.seen) == 3 and len(keys) == 1 and None not in keys, keys


@pytest.mark.lab
def test_12_an_endless_sink_answer_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    from tests.support.incident_api import serve

    big = b"[" + b"0," * (20 << 20) + b"0]"  # 40 MB of comments list
    with serve(lambda seen: (200, {"Content-Type": "application/json"}, big)) as api:
        monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "D" * 36)
        monkeypatch.setenv("DIAGNOSE_GITHUB_API", api.url)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        from diagnose.incidents.sinks import SendError

        with pytest.raises(SendError):
            _send("github:acme/dashtray#12")  # the cut answer is no JSON list: said, not read
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 30, f"read {grown_mb:.0f} MB of the answer"


# 19: endpoint fan-out ---------------------------------------------------------------------------------


def test_19_a_name_with_thousands_of_addresses_is_checked_on_a_few(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import UTC, datetime

    from diagnose.families.ssl import tls
    from diagnose.probe import FactSink, ProbeContext

    addresses = [f"10.{i // 250}.{i % 250}.1" for i in range(4000)]
    tried: list[tuple[str, int]] = []

    def endpoint(target, *_rest):  # type: ignore[no-untyped-def]
        tried.append(target)
        return {"address": tls._show(*target), "phase": "connect", "error_kind": "refused"}

    monkeypatch.setattr(tls, "resolve", lambda host, resolvers, timeout: (addresses, None))
    monkeypatch.setattr(tls, "_endpoint", endpoint)
    probe = tls.TLSProbe()
    sink = FactSink(probe.name, probe.provides)
    options = {"name": "dashtray.test", "port": 443, "warn_days": 14, "critical_days": 7,
               "resolvers": [], "connect_to": [], "ca_file": None}  # fmt: skip
    import time

    ctx = ProbeContext(options=options, now=datetime.now(UTC), deadline=time.monotonic() + 5)
    probe.collect(ctx, sink)
    facts = sink.close()
    assert len(tried) == tls.MAX_ENDPOINTS
    assert facts["tls.targets_skipped"] == 4000 - tls.MAX_ENDPOINTS
