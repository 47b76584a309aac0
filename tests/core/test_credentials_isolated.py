"""The developer's credentials never reach a test (tests/conftest.py clears them)."""

from __future__ import annotations

import os

from tests.conftest import CREDENTIALS


def test_no_credential_of_the_developer_is_visible() -> None:
    assert [name for name in CREDENTIALS if name in os.environ] == []


def test_gh_reads_an_empty_login_folder() -> None:
    folder = os.environ["GH_CONFIG_DIR"]
    assert os.path.isdir(folder) and os.listdir(folder) == []
