"""What the Python test scripts (test-dashboard, api-contract) share to run a real `gitfleet serve` on the demo
fleet: a free loopback port, git with a fixed author, the demo fleet committed to a temporary repository, the
demo images, and stopping the controller and the instances it left.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def git(repo: Path, *arguments: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=Dana Operator", "-c", "user.email=dana@example.invalid",
                    *arguments], check=True, capture_output=True)


def demo_fleet(repo: Path, state: Path, binaries: Path, edit: Callable[[str], str] = lambda text: text) -> None:
    """examples/ (fleet.yaml, services api and web, each passed through `edit`) committed to a new repository
    `repo` on main, and the demo images registered in `state`."""
    (repo / "services").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "fleet.yaml", repo / "fleet.yaml")
    for name in ("api", "web"):
        text = (ROOT / "examples" / "services" / f"{name}.yaml").read_text()
        (repo / "services" / f"{name}.yaml").write_text(edit(text))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "The demo fleet")
    subprocess.run([str(binaries / "gitfleet"), "demo-images", "--state-dir", str(state), "--binary",
                    str(binaries / "gitfleet-demo")], check=True, capture_output=True)


def stop(process: subprocess.Popen, folder: Path) -> None:
    """SIGTERM to the controller's process group (SIGKILL after 20 s), then SIGKILL to every process whose command
    line names `folder`: the instances outlive the controller by design."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if str(folder) in (entry / "cmdline").read_bytes().decode(errors="replace"):
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue
