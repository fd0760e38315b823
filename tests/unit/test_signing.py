"""C2SP signed notes with Ed25519: a note verifies with the public key only; an edited note, or one signed
by another key, is refused; the key formats round-trip."""
from __future__ import annotations

import pytest

from service.signing import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    key_id,
    open_note,
    read_checkpoint,
)


def test_a_checkpoint_note_verifies_with_the_public_key_alone_and_nothing_else_passes():
    signer = Signer.generate("taizhang.example/ledger")
    public = Verifier.parse(signer.verifier.text())  # what an auditor is given
    assert Signer.parse(signer.text()) == signer
    note = signer.sign(Checkpoint("taizhang.example/ledger", 172, bytes(range(32)), ("chain 172 ab",)).text())
    lines = note.split("\n")
    assert lines[:3] == ["taizhang.example/ledger", "172", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="]
    assert lines[4] == "" and lines[5].startswith("\u2014 taizhang.example/ledger ")
    cp = read_checkpoint(note, public)
    assert (cp.size, cp.root, cp.extension("chain")) == (172, bytes(range(32)), ["172", "ab"])
    with pytest.raises(NoteError, match="does not verify"):
        open_note(note.replace("\n172\n", "\n173\n", 1), public)
    other = Signer.generate("taizhang.example/ledger")
    with pytest.raises(NoteError, match="another key"):
        open_note(other.sign("hello\n"), public)


def test_the_key_id_is_the_specs_hash():
    import hashlib

    public = bytes(32)
    assert key_id("a", public) == int.from_bytes(hashlib.sha256(b"a\n\x01" + public).digest()[:4], "big")
