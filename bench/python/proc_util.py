"""Small /proc helpers shared by the benchmark harness: CPU time of process trees, peak RSS,
free loopback ports, machine description. Linux only."""

import os
import platform
import socket
import subprocess

_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read().decode("ascii", "replace")
    # The command name is in parentheses and may contain spaces: split after the last ')'.
    return data[data.rindex(")") + 2 :].split()


def _children(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children", "r", encoding="ascii") as f:
                kids.extend(int(x) for x in f.read().split())
    except OSError:
        pass
    return kids


def tree_pids(root):
    """root and every live descendant."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(_children(pid))
    return out


def tree_cpu_seconds(roots):
    """User + system CPU seconds used so far by the trees under `roots` (live processes, plus
    children they already reaped). A process that vanished between listing and reading is
    skipped."""
    total = 0
    for root in roots:
        for pid in tree_pids(root):
            try:
                f = _stat_fields(pid)
            except OSError:
                continue
            # fields after the name: state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14
            total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return total / _TICK


def self_cpu_seconds():
    t = os.times()
    return t.user + t.system


def peak_rss_mb(pid):
    """VmHWM (peak resident set) of a live process in MiB, or None."""
    try:
        with open(f"/proc/{pid}/status", "r", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine():
    """lscpu model name, cores, memory, kernel, and the load average when asked."""
    model = platform.processor() or "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    mem_gib = None
    with open("/proc/meminfo", "r", encoding="ascii") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "kernel": platform.release(),
        "loadavg_1m": os.getloadavg()[0],
    }
