"""The addresses of a cluster and the connections to its servers.

A spec lists the shards, comma-separated; each shard is one or more ``host:port``
addresses joined by ``+``: the first is its writable server (``xapian-tcpsrv
--writable``, which also answers reads while a writer is connected), the others read-only
servers of replicas. Reads try them in that order, so they see the last commit while the
writable server is up and a replica's copy when it is not; a shard answering on none is
missing. An article lives on shard ``stable_hash(doc_id) % shards``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from ..errors import IndexLockedError, OptionError, ShardUnavailableError

SCHEME = "xapian://"
# Milliseconds to wait for a server to accept a connection, and for an answer.
CONNECT_MS = 2000
ANSWER_MS = 30000

_ADDRESS_RE = re.compile(r"(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-]+):(?P<port>[0-9]{1,5})")


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Shard:
    number: int  # 1-based, as messages name it
    addresses: tuple[Address, ...]

    @property
    def writer(self) -> Address:
        return self.addresses[0]

    @property
    def readers(self) -> tuple[Address, ...]:
        """Where reads go, in order: the writable server, then the replicas."""
        return self.addresses

    def __str__(self) -> str:
        return f"shard {self.number} ({'+'.join(str(a) for a in self.addresses)})"


def parse_spec(spec: str) -> tuple[Shard, ...]:
    """The shards of ``xapian://host:port[+host:port...],...``; OptionError if malformed."""
    if not spec.startswith(SCHEME):
        raise OptionError(f"not a cluster address: {spec!r} (xapian://host:port,host:port)")
    body = spec[len(SCHEME) :].strip().strip("/")
    if not body:
        raise OptionError("xapian:// needs at least one host:port")
    shards = []
    for number, item in enumerate(body.split(","), start=1):
        addresses = []
        for text in item.split("+"):
            m = _ADDRESS_RE.fullmatch(text.strip())
            if m is None or not 0 < int(m.group("port")) < 65536:
                raise OptionError(
                    f"bad address {text.strip()!r} in {spec!r} (host:port, shards joined by ',',"
                    " replicas of a shard by '+')"
                )
            addresses.append(Address(m.group("host").strip("[]"), int(m.group("port"))))
        shards.append(Shard(number, tuple(addresses)))
    return tuple(shards)


def stable_hash(doc_id: str) -> int:
    """The same number for a doc_id in every process (Python's hash() is salted)."""
    return int.from_bytes(hashlib.sha1(doc_id.encode("utf-8", "surrogateescape")).digest()[:8])


def shard_of(doc_id: str, shards: tuple[Shard, ...]) -> Shard:
    return shards[stable_hash(doc_id) % len(shards)]


def xapian() -> Any:
    """The bindings, imported when a cluster is used (never on a folder's start-up path)."""
    try:
        import xapian as bindings
    except ImportError:  # pragma: no cover - the dependency is declared
        raise OptionError(
            "a xapian:// index needs the Xapian bindings: pip install xapian-bindings-binary"
        ) from None
    return bindings


def open_shard(shard: Shard) -> Any:
    """A read connection to ``shard`` (the first of its addresses that answers), or
    ShardUnavailableError."""
    x = xapian()
    reasons = []
    for address in shard.readers:
        try:
            return x.remote_open(address.host, address.port, ANSWER_MS, CONNECT_MS)
        except x.Error as err:
            reasons.append(f"{address}: {reason(err)}")
    raise ShardUnavailableError(f"{shard} is unavailable: {'; '.join(reasons)}")


def open_writer(shard: Shard) -> Any:
    """A write connection to ``shard``'s writable server, or ShardUnavailableError."""
    x = xapian()
    try:
        return x.remote_open_writable(shard.writer.host, shard.writer.port, ANSWER_MS, CONNECT_MS)
    except x.DatabaseLockError:
        raise IndexLockedError(
            f"{shard} is being written by another 'seedsearch index' (one writer at a time)"
        ) from None
    except x.Error as err:
        raise ShardUnavailableError(
            f"{shard} cannot be written: {shard.writer}: {reason(err)} "
            "(is its xapian-tcpsrv running with --writable?)"
        ) from None


def reason(err: Exception) -> str:
    text = str(getattr(err, "get_msg", lambda: "")() or err)
    return " ".join(text.split())[:200] or type(err).__name__
