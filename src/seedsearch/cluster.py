"""A local Xapian cluster for ``seedsearch cluster start`` / ``stop``.

Per shard: a writable ``xapian-tcpsrv`` on the shard's database under the cluster's folder
and, with replicas, a ``xapian-replicate-server`` serving that database, and per replica a
``xapian-replicate`` keeping a copy current (every ``REPLICATE_SECONDS``) and a read-only
``xapian-tcpsrv`` serving the copy. Their ports are free ones picked at start; their
addresses and process ids are written to ``cluster.json`` in the folder, which ``stop``
reads to end exactly those processes. The databases stay in the folder: a cluster started
again in it serves what was indexed before.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import ClusterError, OptionError

STUB = "cluster.json"
REPLICATE_SECONDS = 1
START_SECONDS = 10.0  # for a server to accept connections
REPLICA_SECONDS = 30.0  # for a replica's first copy
STOP_SECONDS = 5.0  # for a server to exit after SIGTERM
# The writable server keeps this many changesets, so that replicas copy only what changed.
CHANGESETS = "20"


@dataclass(frozen=True)
class Process:
    pid: int
    role: str  # "writer", "replicate-server", "replicate", "replica"
    shard: int
    port: int  # 0 for a process that listens on none
    log: str


@dataclass(frozen=True)
class Cluster:
    folder: str
    spec: str
    shards: int
    replicas: int
    processes: tuple[Process, ...]

    @property
    def readers(self) -> tuple[str, ...]:
        """Per replica number, the address of that copy of every shard: a search front end
        given one reads from replicas only, so several front ends spread the reads (the
        spec itself reads from the writable servers first, the replicas only on failure)."""
        from .xapian_store.connect import parse_spec

        shards = parse_spec(self.spec)
        return tuple(
            "xapian://" + ",".join(str(shard.addresses[r]) for shard in shards)
            for r in range(1, min(len(shard.addresses) for shard in shards))
        )

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "readers": list(self.readers)}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ClusterError(f"{name} is not installed (Debian: apt-get install xapian-tools)")
    return found


def free_port(host: str) -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _listening(host: str, port: int) -> bool:
    """Whether a socket listens on ``port``, read from the kernel's table: neither
    connecting (``xapian-replicate-server`` exits when a connection closes without a
    request) nor binding (the server starting could find the port taken)."""
    del host  # any address: the port was free on every one when picked
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if (
                len(fields) > 3
                and fields[3] == "0A"
                and int(fields[1].rsplit(":", 1)[1], 16) == port
            ):
                return True
    return False


def _alive(pid: int) -> bool:
    """Whether ``pid`` is still one of the Xapian servers started here (not a reused id)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    if b"xapian-" not in cmdline:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _running(pid: int) -> bool:
    """Whether a server this process just started still runs (its command line may not
    be readable yet while it execs, so its exit status is asked instead)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return _alive(pid)
    return done == 0


def read_stub(folder: str | os.PathLike[str]) -> Cluster | None:
    path = Path(folder) / STUB
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Cluster(
            folder=raw["folder"],
            spec=raw["spec"],
            shards=int(raw["shards"]),
            replicas=int(raw["replicas"]),
            processes=tuple(Process(**p) for p in raw["processes"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ClusterError(f"cannot read {path}: {err}") from None


def start(
    folder: str | os.PathLike[str], shards: int, replicas: int, host: str = "127.0.0.1"
) -> Cluster:
    """Start the servers of a local cluster in ``folder`` and record them there."""
    if not 1 <= shards <= 64:
        raise OptionError(f"--shards must be between 1 and 64 (got {shards})")
    if not 0 <= replicas <= 8:
        raise OptionError(f"--replicas must be between 0 and 8 (got {replicas})")
    root = Path(folder).resolve()
    running = read_stub(root)
    if running is not None and any(_running(p.pid) for p in running.processes):
        raise ClusterError(
            f"a cluster is already running in {root} ({running.spec}): "
            f"'seedsearch cluster stop {folder}' ends it"
        )
    tcpsrv = _tool("xapian-tcpsrv")
    started: list[Process] = []
    try:
        root.mkdir(parents=True, exist_ok=True)
        (root / "logs").mkdir(exist_ok=True)
        spec_shards = []
        for n in range(1, shards + 1):
            home = root / f"shard{n}"
            home.mkdir(exist_ok=True)
            _create(home / "db")
            port = free_port(host)
            cmd = [tcpsrv, "--writable", "--quiet", "--interface", host, "--port", str(port)]
            writer = _spawn(root, "writer", n, port, host, [*cmd, str(home / "db")])
            started.append(writer)
            addresses = [f"{host}:{port}"]
            if replicas:
                feed = free_port(host)
                started.append(
                    _spawn(
                        root,
                        "replicate-server",
                        n,
                        feed,
                        host,
                        [_tool("xapian-replicate-server"), "-I", host, "-p", str(feed), str(home)],
                    )
                )
                for r in range(1, replicas + 1):
                    copy = home / f"replica{r}"
                    pull = [_tool("xapian-replicate"), "-h", host, "-p", str(feed)]
                    pull += ["-m", "db", "-i", str(REPLICATE_SECONDS), str(copy)]
                    started.append(_spawn(root, "replicate", n, 0, host, pull))
                    _wait_for(copy / "XAPIANDB", started[-1])
                    port = free_port(host)
                    cmd = [tcpsrv, "--quiet", "--interface", host, "--port", str(port)]
                    started.append(_spawn(root, "replica", n, port, host, [*cmd, str(copy)]))
                    addresses.append(f"{host}:{port}")
            spec_shards.append("+".join(addresses))
        cluster = Cluster(
            str(root), "xapian://" + ",".join(spec_shards), shards, replicas, tuple(started)
        )
        (root / STUB).write_text(json.dumps(cluster.to_dict(), indent=2) + "\n", encoding="utf-8")
    except BaseException:
        _end(started)
        raise
    return cluster


def _spawn(root: Path, role: str, shard: int, port: int, host: str, cmd: list[str]) -> Process:
    log = root / "logs" / f"shard{shard}-{role}-{port or os.getpid()}-{time.time_ns()}.log"
    env = {**os.environ, "XAPIAN_MAX_CHANGESETS": CHANGESETS}
    # Spawned in a session of their own: the servers outlive this command and its
    # terminal (and no Popen object is left to complain that they still run).
    pid = os.posix_spawn(
        cmd[0],
        cmd,
        env,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
        setsid=True,
    )
    process = Process(pid, role, shard, port, str(log))
    if port:
        deadline = time.monotonic() + START_SECONDS
        while not _listening(host, port):
            if not _running(pid) or time.monotonic() > deadline:
                _end([process])
                tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
                name = Path(cmd[0]).name
                raise ClusterError(f"{name} for shard {shard} did not start: {tail[0]}")
            time.sleep(0.05)
    return process


def _create(path: Path) -> None:
    """Create the shard's database before any server starts: a replica never copies one
    half made."""
    from .xapian_store.connect import xapian

    x = xapian()
    try:
        x.WritableDatabase(str(path), x.DB_CREATE_OR_OPEN).close()
    except x.Error as err:
        raise ClusterError(f"cannot create the database {path}: {err.get_msg()}") from None


def _wait_for(path: Path, process: Process) -> None:
    """Wait for a replica's first copy (a read-only server needs a database to serve)."""
    deadline = time.monotonic() + REPLICA_SECONDS
    while not path.exists():
        if not _running(process.pid) or time.monotonic() > deadline:
            raise ClusterError(f"the replica of shard {process.shard} was not copied: {path}")
        time.sleep(0.05)


def stop(folder: str | os.PathLike[str]) -> Cluster:
    """End the processes recorded in ``folder`` (by their ids) and forget them."""
    root = Path(folder).resolve()
    cluster = read_stub(root)
    if cluster is None:
        raise ClusterError(f"no cluster recorded in {root} (no {STUB})")
    _end(list(cluster.processes))
    (root / STUB).unlink(missing_ok=True)
    return cluster


def _end(processes: list[Process]) -> None:
    # A server forks a process per connection, in its own process group (it was started
    # in a session of its own): those are ended too, or a connection would outlive it
    # (a writer's still holding the database's lock).
    ours = list(dict.fromkeys(pid for p in processes for pid in _group(p.pid)))
    for pid in ours:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for pid in ours:
        while _running(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.05)
        if _running(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _reap(pid)


def _group(leader: int) -> list[int]:
    """The Xapian servers of the process group ``leader`` started: itself if it runs,
    and the processes it forked (still there when it died first)."""
    found = [leader] if _running(leader) else []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == leader:
            continue
        try:
            group = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2])
        except (OSError, IndexError, ValueError):
            continue
        if group == leader and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _reap(pid: int) -> None:
    """Collect a child of this process that exited (servers started by another command
    are reaped by init)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
