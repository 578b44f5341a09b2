"""Reading a CV file in a child process with CPU-time, memory and wall-clock limits.

Parsing a PDF or a .docx runs code over attacker-shaped data: a small file can ask for
minutes of CPU or gigabytes of memory, and a thread cannot be stopped. A child process
can: it sets its own limits before reading a byte (the kernel ends it past its CPU time;
an allocation past its address space fails), and the parent kills it at the wall-clock
deadline. The parent's memory never holds the parse, so it stays flat whatever arrives.

Protocol: the parent writes the file name (one UTF-8 line) and the bytes to the child's
stdin; the child prints one JSON object, `{"text": ...}` or `{"reason", "detail"}`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from workers.pipelines.cv_files import CvFileError, Refusal, extract_cv_text, too_complex

CPU_SECONDS = 8
WALL_SECONDS = 12.0
MEMORY_BYTES = 768 * 1024 * 1024  # address space: the interpreter, pypdf, lxml and the parse
ROOT = Path(__file__).resolve().parents[2]


class CvReader:
    """Reads CV files in child processes, at most `parallel` at once (each is a core),
    each within `cpu_seconds` of CPU and `wall_seconds` of wall-clock time."""

    def __init__(
        self, parallel: int = 2, cpu_seconds: int = CPU_SECONDS, wall_seconds: float = WALL_SECONDS
    ) -> None:
        self._slots = threading.BoundedSemaphore(parallel)
        self.cpu_seconds, self.wall_seconds = cpu_seconds, wall_seconds

    def read(self, filename: str | None, data: bytes) -> str:
        """The CV's text, as `extract_cv_text` reads it, within the limits.

        Raises `CvFileError` as `extract_cv_text` does, and `too_complex` when the child
        passes a limit.
        """
        with self._slots:
            return self._read_in_child(filename, data)

    def _read_in_child(self, filename: str | None, data: bytes) -> str:
        header = (filename or "").replace("\n", " ").encode() + b"\n"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
        command = [sys.executable, "-m", "workers.pipelines.cv_sandbox", str(self.cpu_seconds)]
        try:
            done = subprocess.run(
                command,
                input=header + data,
                capture_output=True,
                timeout=self.wall_seconds,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:  # run() has killed the child
            raise too_complex(f"took more than {self.wall_seconds:.0f} s to read") from None
        if done.returncode != 0:
            # Killed by the kernel at its CPU limit (SIGXCPU, then SIGKILL) or crashed.
            raise too_complex(f"took more than {self.cpu_seconds} s of processing to read")
        return _answer(done.stdout)


def _answer(stdout: bytes) -> str:
    """The child's JSON answer as the text, or its refusal raised."""
    try:
        answer = json.loads(stdout)
    except ValueError:
        raise too_complex("could not be read within the limits") from None
    if "text" in answer:
        return str(answer["text"])
    reason: Refusal = answer["reason"]
    raise CvFileError(reason, str(answer["detail"]))


def _limit_self(cpu_seconds: int) -> None:
    """Caps on this (child) process: CPU seconds, address space, no files written."""
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def main() -> None:
    """The child: read the request from stdin, answer on stdout."""
    _limit_self(int(sys.argv[1]) if len(sys.argv) > 1 else CPU_SECONDS)
    stdin = sys.stdin.buffer
    filename = stdin.readline().rstrip(b"\n").decode(errors="replace") or None
    data = stdin.read()
    try:
        answer: dict[str, str] = {"text": extract_cv_text(filename, data)}
    except CvFileError as error:
        answer = {"reason": error.reason, "detail": error.detail}
    except MemoryError:
        refusal = too_complex("needs too much memory to read")
        answer = {"reason": refusal.reason, "detail": refusal.detail}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
