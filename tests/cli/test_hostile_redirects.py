"""Issue 21, point 8: a redirect off the target's site is followed only to a host the user
allows (--allow-redirect, one default in SmokeOptions), and then recorded."""

from __future__ import annotations

import json

import pytest


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from diagnose.cli import main

    with pytest.raises(SystemExit) as done:
        main(args)
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


@pytest.mark.lab
@pytest.mark.parametrize("allowed", [True, False])
def test_8_an_allowed_host_is_followed_and_recorded_any_other_is_not(
    allowed: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.incident_api import json_reply, serve

    with serve(lambda seen: json_reply(200, {"ok": True})) as idp:
        offsite = idp.url + "/authorize"
        with serve(lambda seen: (302, {"Location": offsite}, b"")) as site:
            url = site.url.replace("127.0.0.1", "localhost")  # another host name, same machine
            host = "127.0.0.1" if allowed else "login.example.net"
            args = ["smoke", "--url", url, "--format", "json", "--timeout", "5"]
            code, out, err = _main([*args, "--allow-redirect", host], capsys)
        fetched = bool(idp.seen)
    doc = json.loads(out)
    facts = doc["facts"]
    ids = [f["id"] for f in doc["findings"]]
    if allowed:
        assert fetched and facts["smoke.homepage.redirect_allowed"] == [offsite]
        assert (
            facts["smoke.homepage.status"] == 200
            and facts["smoke.homepage.redirect_offsite"] is None
        )
        assert "http.redirect-allowed" in ids and "http.redirect-offsite" not in ids
    else:
        assert not fetched and facts["smoke.homepage.redirect_offsite"] == offsite
        assert "http.redirect-offsite" in ids, (code, err)


@pytest.mark.parametrize("value", ["https://login.example.net/", "login.example.net/x", "u@h", ""])
def test_8_allow_redirect_takes_a_host_not_a_url(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(
        ["smoke", "--url", "https://dashtray.test/", "--allow-redirect", value], capsys
    )
    assert code == 3 and not out and "--allow-redirect" in err and "internal error" not in err
