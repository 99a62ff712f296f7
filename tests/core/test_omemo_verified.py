"""The local record of confirmed fingerprints: private, atomic, and a changed key is not trusted."""

from __future__ import annotations

import errno
import json
import os
import stat

import pytest

from onboard.core import paths
from onboard.core.omemo import verified
from onboard.core.omemo.errors import VerifiedStoreError

ME = "me@example.org"
FRIEND = "friend@example.net"
FP1 = "0123456789abcdef" * 4
FP2 = "fedcba9876543210" * 4


def test_marked_device_is_verified_and_the_file_is_private() -> None:
    record = verified.mark_verified(ME, FRIEND, 1234, FP1.upper())
    assert (record.jid, record.device_id, record.fingerprint) == (FRIEND, 1234, FP1)
    assert verified.is_verified(ME, FRIEND, 1234, FP1)
    path = verified.verified_file()
    assert path.parent == paths.data_dir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = json.loads(path.read_text())
    assert data["format"] == 1
    assert data["accounts"][ME][FRIEND]["1234"]["fingerprint"] == FP1


def test_changed_fingerprint_for_a_known_device_is_not_verified() -> None:
    verified.mark_verified(ME, FRIEND, 1234, FP1)
    assert not verified.is_verified(ME, FRIEND, 1234, FP2)
    assert verified.status(ME, FRIEND, 1234, FP2) == verified.CHANGED
    assert verified.status(ME, FRIEND, 1234, FP1) == verified.VERIFIED
    assert verified.status(ME, FRIEND, 999, FP1) == verified.UNVERIFIED
    # Confirming the new key replaces the old one.
    verified.mark_verified(ME, FRIEND, 1234, FP2)
    assert verified.is_verified(ME, FRIEND, 1234, FP2)
    assert verified.status(ME, FRIEND, 1234, FP1) == verified.CHANGED
    assert len(verified.load(ME)) == 1


def test_records_belong_to_one_account_and_own_devices_come_first() -> None:
    verified.mark_verified(ME, FRIEND, 1, FP1)
    verified.mark_verified(ME, ME, 2, FP2)
    verified.mark_verified("other@example.org", FRIEND, 1, FP2)
    assert [(r.jid, r.device_id) for r in verified.load(ME)] == [(ME, 2), (FRIEND, 1)]
    assert verified.is_verified(ME, FRIEND, 1, FP1)
    assert verified.status("other@example.org", FRIEND, 1, FP1) == verified.CHANGED
    assert verified.load("nobody@example.org") == []


def test_addresses_are_compared_in_lower_case() -> None:
    verified.mark_verified("Me@Example.ORG/laptop", "Friend@Example.NET", 7, FP1)
    assert verified.is_verified(ME, FRIEND, 7, FP1)


def test_mark_many_and_forget() -> None:
    marked = verified.mark_many(ME, FRIEND, {1: FP1, 2: FP2})
    assert {r.device_id for r in marked} == {1, 2}
    assert verified.forget(ME, FRIEND, 1)
    assert not verified.forget(ME, FRIEND, 1)
    assert [r.device_id for r in verified.load(ME)] == [2]
    assert verified.forget(ME, FRIEND, 2)
    assert ME not in json.loads(verified.verified_file().read_text())["accounts"]


def test_bad_input_is_refused() -> None:
    from onboard.core.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        verified.mark_verified(ME, FRIEND, 0, FP1)
    with pytest.raises(InvalidInputError):
        verified.mark_verified(ME, FRIEND, 1, "abc")
    with pytest.raises(InvalidInputError):
        verified.mark_verified(ME, "not an address", 1, FP1)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    verified.mark_verified(ME, FRIEND, 1, FP1)
    path = verified.verified_file()
    before = path.read_bytes()

    def disk_full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), dst)

    monkeypatch.setattr(os, "replace", disk_full)  # as onboard.core.storage calls it
    with pytest.raises(VerifiedStoreError) as caught:
        verified.mark_verified(ME, FRIEND, 2, FP2)
    assert "No space left" in caught.value.message
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'{"format": 99, "accounts": {}}',
                                     b'{"format": 1}', b"\xff\xfe"])
def test_unreadable_file_is_reported_and_never_overwritten(content: bytes) -> None:
    path = verified.verified_file()
    path.write_bytes(content)
    with pytest.raises(VerifiedStoreError):
        verified.load(ME)
    with pytest.raises(VerifiedStoreError):
        verified.mark_verified(ME, FRIEND, 1, FP1)
    assert path.read_bytes() == content


def test_damaged_entries_are_skipped() -> None:
    path = verified.verified_file()
    path.write_text(json.dumps({"format": 1, "accounts": {ME: {
        FRIEND: {"1": {"fingerprint": FP1, "verified_at": 5}, "x": {"fingerprint": FP1},
                 "2": {"fingerprint": "short"}, "3": "nonsense", "4": {}},
        "bad address": {"1": {"fingerprint": FP1}},
    }}}))
    assert [(r.jid, r.device_id, r.verified_at) for r in verified.load(ME)] == [(FRIEND, 1, 5.0)]


def test_nothing_is_written_until_something_is_marked() -> None:
    assert verified.load(ME) == []
    assert not verified.verified_file().exists()
