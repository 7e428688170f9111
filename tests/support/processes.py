"""Running `tracker` commands as real processes on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server not ready after {timeout} s")


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]


def run_tracker(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a `tracker` admin command, whatever its exit code."""
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args], env={**os.environ, **env}, capture_output=True, text=True
    )


def tracker_command(*args: str, env: dict[str, str]) -> str:
    """Run a `tracker` admin command that must succeed; its standard output."""
    result = run_tracker(*args, env=env)
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    return result.stdout


@contextmanager
def tracker_server(*args: str, env: dict[str, str]) -> Iterator[Server]:
    """`tracker serve` in a subprocess; stops it with SIGTERM unless the test killed it."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, process)
        yield Server(url=base_url, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
