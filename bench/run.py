"""zwr benchmark suite: every figure beside a baseline measured in the same run, with the ratio.

    .venv/bin/python bench/run.py            # the full suite (about 6-8 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # shorter windows (about 2 minutes)
    .venv/bin/python bench/run.py --tiny     # smoke run used by the test suite (seconds)

The simulator runs in its own process on 127.0.0.1 so its CPU is not counted against zwr.
Results are printed as a table and appended to bench/RESULTS.md with the commit and date.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
ZWR = str(Path(PY).parent / "zwr")


@dataclass
class Row:
    figure: str
    zwr: float
    baseline: float | None
    unit: str
    target: str
    ok: bool | None
    note: str = ""

    @property
    def ratio(self) -> str:
        if self.baseline in (None, 0):
            return "—"
        return f"{self.zwr / self.baseline:.2f}x"


class SimProcess:
    """``zwr sim`` in a subprocess (loopback only), so load generation and zwr do not share a GIL."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [ZWR, "sim", "--port", "0", *args], stdout=subprocess.PIPE, text=True, env=bench_env()
        )
        line = self.proc.stdout.readline()
        self.base_url = line.strip().rsplit(" ", 1)[-1]
        assert self.base_url.startswith("http://127.0.0.1:"), line

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


_TMP = tempfile.mkdtemp(prefix="zwr-bench-")


def bench_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZUORA_", "ZWR_"))}
    env.update(
        ZWR_CONFIG_DIR=f"{_TMP}/config",
        ZWR_DATA_DIR=f"{_TMP}/data",
        NO_COLOR="1",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    env.update(extra)
    return env


def timed(cmd: list[str], env: dict[str, str]) -> float:
    return timed_cpu(cmd, env)[0]


def timed_cpu(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``cmd``, that process only."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def run_json(cmd: list[str], env: dict[str, str], timeout: float = 900) -> dict:
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def compile_zwr() -> None:
    """Byte-compile zwr as pip does when it installs a wheel. This machine sets
    PYTHONDONTWRITEBYTECODE=1, so an editable install would otherwise compile zwr's sources on
    every start while httpx and Textual (installed, compiled) load bytecode: every figure that
    starts a process would time Python's compiler. (``__pycache__`` is git-ignored.)"""
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "tui")], check=True, stdout=subprocess.DEVNULL)


# ----------------------------------------------------------------------------- figures


def fig1_get(sim: SimProcess, repeats: int) -> list[Row]:
    env = bench_env(ZUORA_BASE_URL=sim.base_url, ZUORA_BEARER_TOKEN="demo-token")
    zwr_cmd = [ZWR, "get", "19063", "--json"]
    bare_cmd = [PY, str(ROOT / "bench/bare_get.py"), "19063"]
    curl_cmd = [
        "curl",
        "-sf",
        "-H",
        "Authorization: Bearer demo-token",
        f"{sim.base_url}/workflows/workflow_runs/19063",
    ]
    for cmd in (zwr_cmd, bare_cmd):
        timed(cmd, env)  # warm the page cache
    samples: dict[str, list[float]] = {"zwr": [], "bare": [], "curl": []}
    cpu: dict[str, list[float]] = {"zwr": [], "bare": []}
    for _ in range(repeats):  # interleaved, so machine noise hits all alike
        for name, cmd in (("zwr", zwr_cmd), ("bare", bare_cmd)):
            wall, used = timed_cpu(cmd, env)
            samples[name].append(wall)
            cpu[name].append(used)
        if shutil.which("curl"):
            samples["curl"].append(timed(curl_cmd, env))
    z, b = statistics.median(samples["zwr"]), statistics.median(samples["bare"])
    zc, bc = statistics.median(cpu["zwr"]), statistics.median(cpu["bare"])
    zwr_mods, bare_mods = (
        _imported([PY, "-X", "importtime", ZWR, *zwr_cmd[1:]], env),
        _imported([PY, "-X", "importtime", *bare_cmd[1:]], env),
    )
    heavy = sorted({m.split(".")[0] for m in zwr_mods} & {"asyncio", "textual", "keyring", "rich"}) or ["none"]
    note = (
        f"CPU (user+sys, median): {zc * 1000:.0f} ms vs {bc * 1000:.0f} ms ({zc / bc:.2f}x), steadier than wall "
        f"time on a shared machine; modules imported: {len(zwr_mods)} (bare httpx: {len(bare_mods)}); "
        f"of asyncio/textual/keyring/rich: {', '.join(heavy)}"
    )
    rows = [
        Row(
            "1. zwr get --json, whole process (median)",
            z * 1000,
            b * 1000,
            "ms",
            "<= 1.3x bare httpx",
            z <= 1.3 * b,
            note,
        )
    ]
    if samples["curl"]:
        c = statistics.median(samples["curl"])
        rows.append(Row("1b. same, against curl", z * 1000, c * 1000, "ms", "(reference)", None))
    return rows


def _imported(cmd: list[str], env: dict[str, str]) -> set[str]:
    """Module names a command imports (``python -X importtime`` writes one line per module)."""
    err = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stderr
    return {line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if line.startswith("import time:")} - {
        "package"
    }


def fig2_first_paint(sim: SimProcess, repeats: int) -> list[Row]:
    env = bench_env()
    app = str(ROOT / "bench/apps.py")
    run_json([PY, app, "minimal"], env)  # warm caches
    zwr, base = [], []
    for _ in range(repeats):  # interleaved, so machine noise hits both alike
        zwr.append(run_json([PY, app, "first_paint", sim.base_url, "19066"], env))
        base.append(run_json([PY, app, "minimal"], env))
    z, b = (statistics.median(r["first_paint"] for r in runs) for runs in (zwr, base))
    zc, bc = (statistics.median(r["cpu"] for r in runs) for runs in (zwr, base))
    note = (
        f"CPU (user+sys of the process at the paint, median): {zc * 1000:.0f} ms vs {bc * 1000:.0f} ms "
        f"({zc / bc:.2f}x), steadier than wall time on a shared machine; load average {os.getloadavg()[0]:.1f}"
    )
    return [
        Row(
            "2. zwr RUN_ID to status painted (process start)",
            z * 1000,
            b * 1000,
            "ms",
            "<= 2.0x minimal Textual app",
            z <= 2.0 * b,
            note,
        )
    ]


def fig3_memory(sim: SimProcess, runs: int, bookmarks: int) -> list[Row]:
    app = str(ROOT / "bench/apps.py")
    zwr = run_json(
        [PY, app, "watch", sim.base_url, "100001", str(runs), "3", "5"], bench_env(BENCH_BOOKMARKS=str(bookmarks))
    )
    base = run_json([PY, app, "minimal"], bench_env())
    z, b = zwr["maxrss_kb"] / 1024, base["maxrss_kb"] / 1024
    return [
        Row(
            f"3. peak RSS watching {runs} runs, {bookmarks} bookmarks",
            z,
            b,
            "MiB",
            "<= 2.0x minimal Textual app",
            z <= 2.0 * b,
        )
    ]


def fig4_cpu(finished: SimProcess, active: SimProcess, runs: int, seconds: float) -> list[Row]:
    app = str(ROOT / "bench/apps.py")
    idle = run_json([PY, app, "watch", finished.base_url, "100001", str(runs), str(seconds), "5"], bench_env())
    busy = run_json([PY, app, "watch", active.base_url, "100001", str(runs), str(seconds), "5"], bench_env())
    idle_pct = idle["cpu"] / idle["wall"] * 100
    busy_pct = busy["cpu"] / busy["wall"] * 100
    per_poll = busy["cpu"] * 1000 / max(1, busy["polls"])
    return [
        Row(
            f"4a. CPU, {runs} finished runs for {seconds:g}s",
            idle_pct,
            None,
            "% core",
            "< 1%",
            idle_pct < 1.0,
            f"{idle['polls']} polls",
        ),
        Row(
            f"4b. CPU, {runs} active runs at 5s for {seconds:g}s",
            busy_pct,
            None,
            "% core",
            "< 5%",
            busy_pct < 5.0,
            f"{busy['polls']} polls, {per_poll:.2f} ms CPU per poll (fetch+parse+diff+render)",
        ),
    ]


async def _responsiveness(base_url: str, runs: int, presses: int) -> list[float]:
    from tests.uihelpers import wait_for
    from tui.core.auth import StaticToken
    from tui.store.connection import Connection
    from tui.ui.app import ZwrApp
    from tui.ui.widgets.runview import RunDetail

    ids = list(range(100001, 100001 + runs))
    app = ZwrApp(
        Connection(base_url=base_url, auth=StaticToken("demo-token"), auth_source="bench"),
        run_ids=ids,
        interval=2.0,
        bell=False,
        client_settings={"concurrency": 16},
    )
    latencies = []
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(lambda: len(app.updates) == runs, timeout=120, pilot=pilot)
        from textual import events

        detail = app.main.query_one(RunDetail)
        for n in range(presses):
            key = "down" if (n // 20) % 2 == 0 else "up"
            before = app.main.selected_run_id()
            painted = asyncio.Event()
            started = time.perf_counter()
            app.post_message(events.Key(key, None))  # exactly what the terminal driver posts
            while detail.run_id is None or detail.run_id == before:
                await asyncio.sleep(0.0005)
            app.call_after_refresh(painted.set)  # fires once the frame showing it is composed
            await painted.wait()
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.05 + (n % 7) * 0.013)  # spread presses over the polling cycle
    return latencies


def fig5_responsiveness(sim: SimProcess, runs: int, presses: int) -> list[Row]:
    os.environ.update(bench_env())
    lat = sorted(asyncio.run(_responsiveness(sim.base_url, runs, presses)))
    p95 = lat[int(len(lat) * 0.95) - 1] * 1000
    p99 = lat[max(0, int(len(lat) * 0.99) - 1)] * 1000
    return [
        Row(
            f"5. key to screen, {runs} active runs @2s, 50ms latency: p95",
            p95,
            None,
            "ms",
            "< 50 ms",
            p95 < 50,
            f"median {statistics.median(lat) * 1000:.1f} ms, n={len(lat)}",
        ),
        Row("5. same: p99", p99, None, "ms", "< 100 ms", p99 < 100),
    ]


async def _discipline(runs: int, interval: float, latency: float, concurrency: int, window: float):
    from tui.core.auth import StaticToken
    from tui.core.client import ClientSettings, ZuoraClient
    from tui.poll.engine import PollEngine
    from tui.sim import Scenario, Simulator

    scenario = Scenario()
    ids = scenario.add_synthetic(runs)
    with Simulator(scenario, latency=latency) as sim:
        async with ZuoraClient(
            ClientSettings(sim.base_url, concurrency=concurrency), StaticToken("demo-token")
        ) as client:
            engine = PollEngine(client, lambda u: None, interval=interval)
            for run_id in ids:
                engine.watch(run_id)
            await asyncio.sleep(window)
            await engine.aclose()
        records = list(sim.requests)
    return records, sim.max_in_flight


async def _throughput(base_url: str, runs: int, interval: float, concurrency: int, window: float):
    from tui.core.auth import StaticToken
    from tui.core.client import ClientSettings, ZuoraClient
    from tui.poll.engine import PollEngine

    async with ZuoraClient(ClientSettings(base_url, concurrency=concurrency), StaticToken("demo-token")) as client:
        engine = PollEngine(client, lambda u: None, interval=interval)
        for run_id in range(100001, 100001 + runs):
            engine.watch(run_id)
        await asyncio.sleep(1.0)  # let the first wave settle
        start_polls, started = engine.polls, time.perf_counter()
        await asyncio.sleep(window)
        done = engine.polls - start_polls
        elapsed = time.perf_counter() - started
        await engine.aclose()
        return done / elapsed, client.max_in_flight


def fig6_discipline(window: float) -> list[Row]:
    rows = []
    # a) the queue is not saturated: every run fetched once per interval, never overlapping
    runs, interval, latency, conc = 50, 2.0, 0.05, 8
    records, max_in_flight = asyncio.run(_discipline(runs, interval, latency, conc, window))
    by_run: dict[str, list] = {}
    for r in records:
        by_run.setdefault(r.path, []).append(r)
    overlaps = sum(
        1
        for rs in by_run.values()
        for a, b in zip(sorted(rs, key=lambda r: r.started), sorted(rs, key=lambda r: r.started)[1:])
        if b.started < a.ended - 0.001
    )
    expected = window / interval
    per_run = statistics.median(len(rs) for rs in by_run.values())
    rows.append(
        Row(
            f"6a. fetches per active run in {window:g}s @{interval:g}s",
            per_run,
            expected,
            "fetches",
            "~1 per interval, 0 overlaps",
            abs(per_run - expected) <= 0.2 * expected + 1 and overlaps == 0,
            f"{overlaps} overlapping requests, max in flight {max_in_flight}/{conc}",
        )
    )
    # b) saturated: throughput vs concurrency / latency (simulator in its own process)
    runs, interval, latency, conc = 300, 1.0, 0.1, 8  # 300 req/s wanted (1 s is the floor), 80 possible
    sim = SimProcess("--synthetic", str(runs), "--latency", str(latency))
    try:
        throughput, max_in_flight = asyncio.run(_throughput(sim.base_url, runs, interval, conc, window))
    finally:
        sim.close()
    capacity = conc / latency
    rows.append(
        Row(
            f"6b. throughput, {runs} runs @{interval:g}s, {latency * 1000:.0f}ms latency, conc {conc}",
            throughput,
            capacity,
            "req/s",
            ">= 90% of conc/latency, in-flight <= limit",
            throughput >= 0.9 * capacity and max_in_flight <= conc,
            f"max in flight {max_in_flight}",
        )
    )
    return rows


async def _frugal(runs: int, limit: int, per: float, window: float):
    from tui.core.auth import StaticToken
    from tui.core.client import ClientSettings, ZuoraClient
    from tui.poll.engine import PollEngine
    from tui.sim import Scenario, Simulator

    scenario = Scenario()
    ids = scenario.add_synthetic(runs)
    with Simulator(scenario, rate_limit=(limit, per)) as sim:
        async with ZuoraClient(ClientSettings(sim.base_url, max_attempts=1), StaticToken("demo-token")) as client:
            engine = PollEngine(client, lambda u: None, interval=1.0)
            for run_id in ids:
                engine.watch(run_id)
            await asyncio.sleep(window)
            frugal = engine.frugal
            await engine.aclose()
        return sim.rejected_429, len(sim.requests), frugal


def fig7_frugal(window: float) -> list[Row]:
    rejected, sent, _slowed = asyncio.run(_frugal(40, 200, 20.0, window))
    return [
        Row(
            f"7. 429s with 40 runs @1s, limit 200/20s, {window:g}s",
            rejected,
            None,
            "429s",
            "0 (slows by itself)",
            rejected == 0,
            f"{sent} requests sent; unthrottled would be ~{int(40 * window)}",
        )
    ]


async def _drilldown(base_url: str, run_id: int) -> tuple[float, int, int]:
    from tests.uihelpers import wait_for
    from tui.core.auth import StaticToken
    from tui.store.connection import Connection
    from tui.ui.app import ZwrApp

    app = ZwrApp(
        Connection(base_url=base_url, auth=StaticToken("demo-token"), auth_source="bench"),
        run_ids=[run_id],
        interval=60,
        bell=False,
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(lambda: run_id in app.updates, pilot=pilot)
        total = app.updates[run_id].run.tasks.total
        started = time.perf_counter()
        await pilot.press("t")
        await wait_for(
            lambda: app.screen.query("#tasks-table") and app.screen.query_one("#tasks-table").row_count >= total,
            timeout=60,
            pilot=pilot,
        )
        await pilot.pause()
        elapsed = time.perf_counter() - started
        widgets = len(list(app.screen.walk_children(with_self=True)))
    return elapsed, total, widgets


def fig8_drilldown(sim: SimProcess) -> list[Row]:
    os.environ.update(bench_env())
    elapsed, total, widgets = asyncio.run(_drilldown(sim.base_url, 19070))
    return [
        Row(
            f"8. tasks screen of a {total:,}-task run, 20ms/page",
            elapsed * 1000,
            None,
            "ms",
            "< 2000 ms",
            elapsed < 2.0,
            f"{widgets} widgets on the screen (table rows are not widgets)",
        )
    ]


# ----------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tiny", action="store_true", help="seconds-long smoke run (used by the tests)")
    parser.add_argument("--no-save", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument("--only", metavar="N,N", help="run only these figures, e.g. 2,4,5")
    ns = parser.parse_args()
    size = "tiny" if ns.tiny else "quick" if ns.quick else "full"
    p = {
        "tiny": dict(
            repeats=2, runs_mem=20, bookmarks=50, cpu_runs=10, cpu_window=2, resp_runs=20, presses=10, window=3
        ),
        "quick": dict(
            repeats=7, runs_mem=500, bookmarks=1000, cpu_runs=50, cpu_window=20, resp_runs=300, presses=60, window=20
        ),
        "full": dict(
            repeats=15, runs_mem=500, bookmarks=1000, cpu_runs=50, cpu_window=60, resp_runs=300, presses=200, window=60
        ),
    }[size]
    started = time.monotonic()
    compile_zwr()
    rows: list[Row] = []
    demo = SimProcess()
    finished = SimProcess("--synthetic", str(max(p["runs_mem"], p["cpu_runs"])), "--synthetic-finished")
    active = SimProcess("--synthetic", str(max(p["runs_mem"], p["resp_runs"], p["cpu_runs"])))
    slow = SimProcess("--synthetic", str(p["resp_runs"]), "--latency", "0.05")
    pages = SimProcess("--latency", "0.02")
    try:
        steps = [
            lambda: fig1_get(demo, p["repeats"]),
            lambda: fig2_first_paint(demo, p["repeats"]),
            lambda: fig3_memory(active, p["runs_mem"], p["bookmarks"]),
            lambda: fig4_cpu(finished, active, p["cpu_runs"], p["cpu_window"]),
            lambda: fig5_responsiveness(slow, p["resp_runs"], p["presses"]),
            lambda: fig6_discipline(p["window"]),
            lambda: fig7_frugal(p["window"]),
            lambda: fig8_drilldown(pages),
        ]
        chosen = {int(n) for n in ns.only.split(",")} if ns.only else set(range(1, 9))
        for number, step in enumerate(steps, start=1):
            if number not in chosen:
                continue
            new = step()
            for row in new:
                print(f"  measured: {row.figure}: {row.zwr:.2f} {row.unit}", file=sys.stderr, flush=True)
            rows.extend(new)
    finally:
        for s in (demo, finished, active, slow, pages):
            s.close()
    table = render(rows, size, time.monotonic() - started)
    print(table)
    if not ns.no_save and not ns.tiny and not ns.only:
        with open(ROOT / "bench/RESULTS.md", "a") as handle:
            handle.write(table + "\n")
    return 0


def render(rows: list[Row], size: str, seconds: float) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {when}, commit {commit or '?'}, {size} run, {seconds:.0f}s, {os.cpu_count()} cores",
        "",
        "| figure | zwr | baseline | ratio | target | met | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        base = f"{r.baseline:.2f} {r.unit}" if r.baseline is not None else "—"
        met = "—" if r.ok is None else ("yes" if r.ok else "NO")
        lines.append(f"| {r.figure} | {r.zwr:.2f} {r.unit} | {base} | {r.ratio} | {r.target} | {met} | {r.note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
