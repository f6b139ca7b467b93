"""``bayeszoo list | head`` and the like: a reader that goes away ends the command quietly."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_into_closed_pipe(*args: str, unbuffered: bool) -> subprocess.CompletedProcess:
    """Run the entry point with its standard output on a pipe whose read end is closed before
    the command starts, so its first write (or final flush) meets EPIPE every time."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    exe = Path(sys.executable).with_name("bayeszoo")
    try:
        return subprocess.run([str(exe), *args], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, env=env, timeout=300, check=False)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("unbuffered", [True, False], ids=["unbuffered", "buffered"])
@pytest.mark.parametrize("command", ["list", "datasets"])
def test_closed_pipe_exits_141_without_a_traceback(command, unbuffered):
    res = run_into_closed_pipe(command, unbuffered=unbuffered)
    assert res.stderr == ""
    assert res.returncode == 141
