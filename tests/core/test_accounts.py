from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from onboard.core import accounts, paths


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XMPP_ONBOARD_HOME", str(tmp_path))
    return tmp_path


def test_saved_file_is_private_and_round_trips(home: Path) -> None:
    account = accounts.SavedAccount(jid="a@example.org", password="s3cret", domain="example.org")
    path = accounts.save(account)
    assert path.parent == paths.accounts_dir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(paths.data_dir().stat().st_mode) == 0o700
    loaded = accounts.load(path)
    assert (loaded.jid, loaded.password, loaded.status) == ("a@example.org", "s3cret", "created")
    assert "s3cret" not in repr(loaded)


def test_no_temporary_files_are_left_behind() -> None:
    accounts.save(accounts.SavedAccount(jid="b@example.org", password="x", domain="example.org"))
    assert [p.name for p in paths.accounts_dir().iterdir()] == ["b@example.org.json"]


def test_half_written_or_foreign_files_are_not_read_as_valid() -> None:
    directory = paths.accounts_dir()
    (directory / "broken@example.org.json").write_text('{"format": 1, "jid": "bro')
    (directory / "other.json").write_text('{"hello": "world"}')
    accounts.save(accounts.SavedAccount(jid="c@example.org", password="x", domain="example.org"))
    assert [a.jid for a in accounts.list_saved()] == ["c@example.org"]
    with pytest.raises(ValueError):
        accounts.load(directory / "broken@example.org.json")


def test_discard_removes_a_pending_account() -> None:
    accounts.save(accounts.SavedAccount(jid="d@example.org", password="x", domain="example.org",
                                        status="pending"))
    accounts.discard("d@example.org")
    assert accounts.list_saved() == []


def test_existing_folder_permissions_are_tightened(home: Path) -> None:
    loose = home / "data" / "accounts"
    loose.mkdir(parents=True)
    os.chmod(loose, 0o755)
    accounts.save(accounts.SavedAccount(jid="e@example.org", password="x", domain="example.org"))
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700


def test_a_pending_attempt_never_touches_an_earlier_account_file() -> None:
    created = accounts.save(accounts.SavedAccount(jid="f@example.org", password="old",
                                                  domain="example.org"))
    accounts.save(accounts.SavedAccount(jid="f@example.org", password="new",
                                        domain="example.org", status="pending"))
    accounts.discard("f@example.org")  # the server said the name is taken
    assert accounts.load(created).password == "old"
    assert [a.status for a in accounts.list_saved()] == ["created"]


def test_confirm_replaces_the_pending_file() -> None:
    pending = accounts.SavedAccount(jid="g@example.org", password="pw", domain="example.org",
                                    status="pending")
    accounts.save(pending)
    path = accounts.confirm(pending)
    assert path.name == "g@example.org.json"
    assert [p.name for p in paths.accounts_dir().iterdir()] == ["g@example.org.json"]


def test_an_unusable_data_folder_is_a_storage_error(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from onboard.core.errors import StorageError

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XMPP_ONBOARD_HOME", str(blocker / "home"))
    with pytest.raises(StorageError) as caught:
        accounts.save(accounts.SavedAccount(jid="h@example.org", password="x",
                                            domain="example.org"))
    assert "a-file" in caught.value.message
    assert caught.value.exit_code == 12


def test_missing_parent_folders_are_made_private_whatever_the_umask(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A parent made with the umask's mode (0777 under umask 0) would let another user swap
    the data folder below it."""
    home = tmp_path / "not" / "there" / "yet"
    os.chmod(tmp_path, 0o755)
    monkeypatch.setenv("XMPP_ONBOARD_HOME", str(home))
    old_umask = os.umask(0)
    try:
        accounts.save(accounts.SavedAccount(jid="f@example.org", password="x",
                                            domain="example.org"))
    finally:
        os.umask(old_umask)
    made = [tmp_path / "not", tmp_path / "not" / "there", home, home / "data",
            home / "data" / "accounts"]
    assert {str(p): stat.S_IMODE(p.stat().st_mode) for p in made} == {
        str(p): 0o700 for p in made}
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755  # an existing parent is left alone
