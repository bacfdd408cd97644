"""scripts/services.sh: reuses our running services, refuses foreign ports."""
import os
import socket
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = os.path.join(ROOT, "scripts", "services.sh")


def run(*args, **env):
    return subprocess.run(["bash", SERVICES, *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=300)


def test_second_start_reuses_the_running_services():
    proc = run("start")
    assert proc.returncode == 0, proc.stderr
    assert "already running, reusing it" in proc.stdout      # postgresql
    assert "already answering on port 6379, reusing it" in proc.stdout
    assert "already serving our cores on port 8983, reusing it" in proc.stdout


def test_a_port_held_by_another_program_is_named_not_fought_over():
    # a plain TCP listener that is not Redis, on a free port
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        proc = run("start", REDIS_PORT=str(port))
    assert proc.returncode != 0
    assert f"port {port} is taken by another program, not Redis" in proc.stderr
