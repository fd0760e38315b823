"""Ed25519 signed notes (C2SP signed-note) and transparency-log checkpoints (C2SP tlog-checkpoint).

Keys are kept in the text formats of Go's golang.org/x/mod/sumdb/note, which C2SP's signed note
follows: the signer key ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 ‖ 32-byte seed)>`` (a file
outside the database; its path in ``TAIZHANG_SIGNING_KEY``) and the verifier key
``<name>+<key id hex>+<base64(0x01 ‖ 32-byte public key)>`` (safe to hand to anyone; path in
``TAIZHANG_PUBLIC_KEY``). key id = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4].

A note is its text (ending in a newline), a blank line, and one line per signature:
``— <name> base64(key id ‖ Ed25519 signature over the text)``. A checkpoint's text is the origin
(the key name), the tree size, the base64 RFC 9162 tree head, then taizhang's extension lines.
"""
from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
SIGNING_KEY_VARIABLE = "TAIZHANG_SIGNING_KEY"  # path of the Ed25519 signer key file (taizhang keygen)
PUBLIC_KEY_VARIABLE = "TAIZHANG_PUBLIC_KEY"  # path of the verifier key file: verifying needs no secret
DASH = "\u2014"


class NoteError(ValueError):
    """A note or key that is malformed, signed by another key, or whose signature does not verify."""


def key_id(name: str, public: bytes) -> int:
    return struct.unpack(">I", hashlib.sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4])[0]


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"a key name is not empty and has no spaces or '+': {name!r}")
    return name


@dataclass(frozen=True)
class Verifier:
    name: str
    public: bytes

    @property
    def id(self) -> int:
        return key_id(self.name, self.public)

    def text(self) -> str:
        return f"{self.name}+{self.id:08x}+{base64.b64encode(ED25519 + self.public).decode()}"

    @classmethod
    def parse(cls, text: str) -> "Verifier":
        try:
            name, hexid, b64 = text.strip().split("+", 2)
            raw = base64.b64decode(b64, validate=True)
        except ValueError:
            raise NoteError("not a verifier key (name+id+base64)") from None
        if raw[:1] != ED25519 or len(raw) != 33:
            raise NoteError("not an Ed25519 verifier key")
        verifier = cls(_check_name(name), raw[1:])
        if f"{verifier.id:08x}" != hexid.lower():
            raise NoteError("the verifier key's id does not match its name and key")
        return verifier

    def check(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, text)
            return True
        except InvalidSignature:
            return False


@dataclass(frozen=True)
class Signer:
    name: str
    seed: bytes

    @property
    def verifier(self) -> Verifier:
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes(Encoding.Raw,
                                                                                          PublicFormat.Raw)
        return Verifier(self.name, public)

    def text(self) -> str:
        return f"PRIVATE+KEY+{self.name}+{self.verifier.id:08x}+{base64.b64encode(ED25519 + self.seed).decode()}"

    @classmethod
    def generate(cls, name: str) -> "Signer":
        from cryptography.hazmat.primitives.serialization import (
            NoEncryption,
            PrivateFormat,
        )

        seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(_check_name(name), seed)

    @classmethod
    def parse(cls, text: str) -> "Signer":
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("not a signer key (PRIVATE+KEY+name+id+base64)")
        raw = base64.b64decode(parts[4])
        if raw[:1] != ED25519 or len(raw) != 33:
            raise NoteError("not an Ed25519 signer key")
        signer = cls(_check_name(parts[2]), raw[1:])
        if f"{signer.verifier.id:08x}" != parts[3].lower():
            raise NoteError("the signer key's id does not match its name and key")
        return signer

    def sign(self, text: str) -> str:
        """The signed note of ``text`` (which must end in a newline)."""
        if not text.endswith("\n") or "\n\n" in text:
            raise NoteError("a note's text ends in a newline and has no blank line here")
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(text.encode())
        sig = base64.b64encode(struct.pack(">I", self.verifier.id) + signature).decode()
        return f"{text}\n{DASH} {self.name} {sig}\n"


def open_note(note: str, verifier: Verifier) -> str:
    """The note's text, once a signature of ``verifier`` on it verifies (NoteError otherwise)."""
    text, sep, signatures = note.rpartition("\n\n")
    if not sep:
        raise NoteError("not a signed note (no blank line before the signatures)")
    text += "\n"
    known = False
    for line in signatures.splitlines():
        if not line.startswith(DASH + " "):
            raise NoteError(f"not a signature line: {line[:40]!r}")
        try:
            name, b64 = line[2:].split(" ")
            raw = base64.b64decode(b64, validate=True)
        except ValueError:
            raise NoteError(f"malformed signature line: {line[:40]!r}") from None
        if name != verifier.name or len(raw) < 4 or struct.unpack(">I", raw[:4])[0] != verifier.id:
            continue  # another key's signature: ignored, as the spec says
        known = True
        if not verifier.check(text.encode(), raw[4:]):
            raise NoteError(f"the signature of {name} does not verify: the note was altered or forged")
    if not known:
        raise NoteError(f"no signature by the key {verifier.name} ({verifier.id:08x}): signed with another key")
    return text


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        return "\n".join([self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> "Checkpoint":
        lines = text.rstrip("\n").split("\n")
        try:
            origin, size, root = lines[:3]
            value = int(size)
            head = base64.b64decode(root, validate=True)
        except ValueError:
            raise NoteError("not a checkpoint (origin, tree size, base64 root hash)") from None
        if value < 0 or (size != "0" and size.startswith("0")) or len(head) != 32:
            raise NoteError("not a checkpoint (origin, tree size, base64 root hash)")
        return cls(origin, value, head, tuple(lines[3:]))

    def extension(self, word: str) -> list[str] | None:
        """The words after ``word`` on the first extension line that starts with it."""
        for line in self.extensions:
            parts = line.split(" ")
            if parts[0] == word:
                return parts[1:]
        return None


def read_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    return Checkpoint.parse(open_note(note, verifier))


def is_signed_note(text: str) -> bool:
    return f"\n\n{DASH} " in text
