"""One decoding for every reader: UTF-8 with or without a BOM, UTF-16 LE/BE, CRLF."""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnose.readers.text import decode, lines, open_utf8, sniff, strict_decode

TEXT = 'first line\n{"msg": "Zürich ✓"}\nlast\n'
ENCODINGS = {
    "utf-8": TEXT.encode(),
    "utf-8-bom": b"\xef\xbb\xbf" + TEXT.encode(),
    "utf-16-le-bom": b"\xff\xfe" + TEXT.encode("utf-16-le"),
    "utf-16-be-bom": b"\xfe\xff" + TEXT.encode("utf-16-be"),
    "utf-16-le-no-bom": TEXT.encode("utf-16-le"),
    "crlf": TEXT.replace("\n", "\r\n").encode(),
    "utf-16-crlf": b"\xff\xfe" + TEXT.replace("\n", "\r\n").encode("utf-16-le"),
}


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_every_saved_form_reads_the_same(name: str, tmp_path: Path) -> None:
    data = ENCODINGS[name]
    assert decode(data) == TEXT
    assert strict_decode(data) == TEXT
    path = tmp_path / name
    path.write_bytes(data)
    assert list(lines(path)) == TEXT.splitlines()
    with open_utf8(path) as fh:
        assert fh.read().replace(b"\r\n", b"\n") == TEXT.encode()


def test_large_utf16_streams_in_chunks(tmp_path: Path) -> None:
    text = "".join(f'{{"n": {i}, "s": "ä✓"}}\n' for i in range(20_000))
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    with open_utf8(path) as fh:
        assert fh.read() == text.encode()


def test_garbage_is_replaced_not_fatal() -> None:
    assert sniff(b"\x00\x01\x02\x03")[0] == "utf-8"
    assert "\ufffd" in decode(b"ok \xff\xfe\xfd end")
    with pytest.raises(UnicodeDecodeError):
        strict_decode(b"ok \xff\xfe\xfd end")
