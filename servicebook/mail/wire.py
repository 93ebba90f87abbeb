"""Our one shape of email written as bytes: headers folded to 78 columns, any text beyond plain
ASCII as RFC 2047 encoded words, and a multipart/alternative of a plain-text and an HTML part,
both base64 so every line is 7-bit and any relay passes it unchanged.

The standard library's EmailMessage parses back and refolds every header it is given, about
2 ms an email — most of a first run's mail step at 100,000 records. The shape here never varies,
so it is written directly; the tests read every message back with the standard library's parser.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field

LINE = 78            # RFC 5322's recommended line length, what the standard library folds to
CRLF = b"\r\n"
# "Subject: " + "=?utf-8?b?" + 56 base64 characters + "?=" is 77 columns: 42 bytes of UTF-8 a word.
WORD_BYTES = 42
# A display name or subject that needs no encoding: printable ASCII, no "=?" that a reader would
# take for the start of an encoded word. A name also may not hold the characters a phrase cannot.
_PLAIN_TEXT = re.compile(r"[\x20-\x7e]*")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*")


def encoded_words(text: str) -> list[str]:
    """`text` as =?utf-8?b?…?= words, each whole characters (a word may not split one)."""
    data, words, start = text.encode("utf-8"), [], 0
    while start < len(data):
        end = min(start + WORD_BYTES, len(data))
        while end < len(data) and 0x80 <= data[end] < 0xC0:   # a continuation byte: back off
            end -= 1
        words.append("=?utf-8?b?" + base64.b64encode(data[start:end]).decode("ascii") + "?=")
        start = end
    return words


def text_tokens(text: str) -> list[str]:
    """An unstructured header's value (Subject) as the tokens it is folded between."""
    if _PLAIN_TEXT.fullmatch(text) and "=?" not in text and len(text) <= LINE - len("Subject: "):
        return [text] if text else []
    return encoded_words(text)


def mailbox_tokens(name: str, address: str) -> list[str]:
    """`name <address>`; the address alone when there is no name. `address` is ASCII already."""
    if not name:
        return [address]
    plain = _PLAIN_NAME.fullmatch(name) and "=?" not in name and len(name) <= 60
    return [*([name] if plain else encoded_words(name)), f"<{address}>"]


def folded(name: str, tokens: list[str]) -> str:
    """`Name: token token …`, a line break before any token that would pass 78 columns."""
    lines, line = [], name + ":"
    for token in tokens:
        if len(line) + 1 + len(token) > LINE and line != name + ":":
            lines.append(line)
            line = ""
        line += " " + token
    lines.append(line)
    return "\r\n".join(lines)


def _body_lines(text: str) -> bytes:
    """The part's text with CRLF line ends and a final one, base64 in lines of 76."""
    data = CRLF.join(text.encode("utf-8").splitlines()) + CRLF
    return base64.encodebytes(data).replace(b"\n", CRLF)


@dataclass
class Outgoing:
    """An email ready for any transport: `as_bytes()` is what goes on the wire."""

    headers: list[str]          # each header whole, folded, without its final line break
    text: str
    html: str
    boundary: str
    extra: list[str] = field(default_factory=list)

    def add_header(self, name: str, value: str) -> None:
        """A header of the transport's own (the outbox's X-Unsent): plain ASCII on one line."""
        if not _PLAIN_TEXT.fullmatch(value):
            raise ValueError(f"header {name} must be plain ASCII")
        self.extra.append(f"{name}: {value}")

    def as_bytes(self) -> bytes:
        head = "\r\n".join([*self.headers, "MIME-Version: 1.0",
                            f'Content-Type: multipart/alternative;\r\n boundary="{self.boundary}"', *self.extra])
        delimiter = b"--" + self.boundary.encode("ascii")
        return b"".join((
            head.encode("ascii"), CRLF, CRLF,
            delimiter, CRLF, b'Content-Type: text/plain; charset="utf-8"', CRLF,
            b"Content-Transfer-Encoding: base64", CRLF, CRLF, _body_lines(self.text),
            delimiter, CRLF, b'Content-Type: text/html; charset="utf-8"', CRLF,
            b"Content-Transfer-Encoding: base64", CRLF, CRLF, _body_lines(self.html),
            delimiter, b"--", CRLF,
        ))


def boundary_for(msgid: str) -> str:
    """Stable for the same message. No base64 line can begin with "--", so no body can hold it."""
    return "=_" + hashlib.sha256(msgid.encode("utf-8")).hexdigest()[:32]
