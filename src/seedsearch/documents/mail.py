"""Mail: an ``.eml`` message or an mbox mailbox, one article per message.

The standard library's ``email`` package reads MIME leniently (broken parts become
defects, not exceptions) and needs no dependency. The subject, sender and date become
the title, author and date; the plain text body is preferred, else the HTML one; the
attachments in a supported format are handed back to be read as articles of their own.
"""

from __future__ import annotations

import itertools
import re
from email.message import Message
from typing import Any

from ..errors import SourceError
from .model import Extracted

_FROM_LINE_RE = re.compile(rb"^From [^\r\n]*\r?\n", re.M)
MAX_MESSAGES = 100_000
ATTACHMENT_SUFFIXES = (".pdf", ".docx", ".odt", ".epub", ".html", ".htm", ".txt", ".md")


def _line(value: Any) -> str:
    return " ".join(str(value).split()) if value else ""


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox (``From `` separator lines dropped); one if it is an .eml."""
    starts = [m.start() for m in _FROM_LINE_RE.finditer(data)]
    if not starts or data[: starts[0]].strip():
        return [data]
    bounds = [*starts, len(data)]
    out = []
    for a, b in itertools.pairwise(bounds):
        body = data[a:b]
        body = body[body.index(b"\n") + 1 :]
        # mboxrd quoting: ">From " at a line start stands for "From ".
        out.append(re.sub(rb"^>(>*From )", rb"\1", body, flags=re.M))
    return out[:MAX_MESSAGES]


def _header(msg: Message, name: str) -> str:
    try:
        return _line(msg.get(name, ""))
    except Exception:  # a header the parser cannot decode: leave it out
        return ""


def _sender(msg: Message) -> str:
    from email.utils import parseaddr

    raw = _header(msg, "From")
    display, address = parseaddr(raw)
    return _line(display) or address or raw


def _body(msg: Message) -> tuple[str, list[tuple[str, bytes]]]:
    """The message's text (plain preferred over HTML) and its attachments."""
    from .html import body_blocks

    plain: list[str] = []
    html: list[str] = []
    attachments: list[tuple[str, bytes]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = (part.get("Content-Disposition") or "").lower()
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if filename or disposition.startswith("attachment"):
            name = _line(filename) or "attachment"
            if name.lower().endswith(ATTACHMENT_SUFFIXES):
                attachments.append((name, payload))
            continue
        ctype = part.get_content_type()
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, errors="replace")
        except LookupError:  # unknown charset name
            text = payload.decode("utf-8", errors="replace")
        if ctype == "text/plain":
            plain.append(text)
        elif ctype == "text/html":
            html.append("\n\n".join(body_blocks(text)))
    return "\n\n".join(plain or html), attachments


def extract_mail(data: bytes, name: str) -> list[Extracted]:
    from email import message_from_bytes, policy

    messages = split_mbox(data)
    mailbox = name.rsplit(".", 1)[0] if len(messages) > 1 or name.endswith(".mbox") else ""
    out = []
    for i, raw in enumerate(messages):
        try:
            msg = message_from_bytes(raw, policy=policy.compat32)
            text, attachments = _body(msg)
        except Exception:  # MIME broken beyond what the lenient parser recovers
            continue
        ident = _header(msg, "Message-ID") or f"#{i}"
        out.append(
            Extracted(
                "mail",
                [(text, None)],
                title=_decoded(_header(msg, "Subject")),
                author=_decoded(_sender(msg)),
                date=_header(msg, "Date"),
                source=mailbox,
                part=ident,
                name=name,
                attachments=attachments,
            )
        )
    if not out:
        raise SourceError("no readable message (broken MIME)")
    return out


def _decoded(value: str) -> str:
    """A header with its RFC 2047 encoded words (=?utf-8?q?...?=) decoded."""
    from email.header import decode_header, make_header

    try:
        return _line(str(make_header(decode_header(value))))
    except (ValueError, LookupError, UnicodeError):
        return value
