"""Task pagination makes progress and stays bounded whatever the server does (issue 10, item 1).

A server that answers the same fat page forever, a ``next_page`` that points back, a server that
offers more pages than the run has tasks: each ends in a bounded number of requests with the
listing marked partial, and ``zwr tasks`` says so (exit 11) instead of "5 tasks in 1000 page(s)".
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.canned import Answer, CannedServer
from tests.conftest import ROOT, cli_env, run_zwr
from tui.core.auth import StaticToken
from tui.core.client import ClientSettings, ZuoraClient
from tui.core.model import Task
from tui.core.pagination import MAX_TASK_PAGES, PAGE_SLACK, PageRequest, TaskPager, read_next_page

TOKEN = "pagination-token"
RUN = 5


def task(task_id: int, *, workflow_id: int = RUN, fat: int = 0) -> dict:
    return {
        "id": task_id,
        "name": f"task {task_id}",
        "status": "Success",
        "action_type": "If",
        "instance": True,
        "workflow_id": workflow_id,
        "error_details": None,
        "data": {"Workflow": {"pad": "x" * fat}} if fat else {},
    }


def run_json(total: int | None) -> dict:
    counts = {"queued": 0, "processing": 0, "pending": 0, "stopped": 0, "success": total or 0, "error": 0}
    return {"id": RUN, "name": "WF-1-00000001", "status": "Finished", "tasks": {**counts, "total": total}}


def page(tasks: list[dict], next_page: int | None, length: int = 100, host: str = "https://rest.zuora.com") -> Answer:
    pagination: dict = {"page": 1, "page_length": length}
    if next_page is not None:
        pagination["next_page"] = f"{host}/workflows/tasks?page={next_page}&page_length={length}"
    return Answer(body={"data": tasks, "pagination": pagination})


def serve(pages, total: int | None):
    """``pages(page_number, page_length) -> Answer`` for /workflows/tasks; the run has ``total``."""

    def route(method, path, query):
        if path == f"/workflows/workflow_runs/{RUN}":
            return Answer(body=run_json(total))
        if path == "/workflows/tasks":
            return pages(int(query["page"][0]), int(query["page_length"][0]))
        return Answer(404, {"message": "no"})

    return CannedServer(route)


class NoSleep:
    async def __call__(self, seconds):
        pass


async def list_tasks(server: CannedServer, expected_total: int | None):
    settings = ClientSettings(server.base_url, page_concurrency=4)
    async with ZuoraClient(settings, StaticToken(TOKEN), sleep=NoSleep()) as client:
        return await client.get_tasks(RUN, expected_total=expected_total)


SAME_PAGE = [task(n) for n in range(1, 101)]


@pytest.mark.parametrize("total", [None, 10_000])
async def test_the_same_page_forever_stops_at_the_second(total):
    """The server ignores ``page``: page 2 repeats page 1 (sequentially, or among the concurrent
    pages when the run says it has 10,000 tasks)."""
    with serve(lambda n, length: page(SAME_PAGE, n + 1), total) as server:
        listing = await list_tasks(server, total)
        requests = len(server.seen("/workflows/tasks"))
    assert len(listing.tasks) == 100 and not listing.complete and "page 2 repeated" in listing.partial
    assert listing.pages == 2 and requests <= 1 + 4  # the first page, then at most one window of 4


async def test_next_page_pointing_back_stops_at_once():
    five = [task(n) for n in range(1, 6)]
    with serve(lambda n, length: page(five, 1), None) as server:
        listing = await list_tasks(server, None)
        requests = len(server.seen("/workflows/tasks"))
    assert requests == 1 and listing.pages == 1 and len(listing.tasks) == 5
    assert listing.partial.startswith("next_page points back to page 1 from page 1")


async def test_a_known_total_bounds_the_pages():
    """The run has 4 tasks; the server offers one new task per page, forever."""
    with serve(lambda n, length: page([task(n)], n + 1, length=1), 4) as server:
        listing = await list_tasks(server, 4)
        asked = [r.query["page_length"] for r in server.seen("/workflows/tasks")]
    assert listing.pages == 4 + PAGE_SLACK and len(asked) == 4 + PAGE_SLACK
    assert asked == [["100"]] + [["1"]] * (3 + PAGE_SLACK)  # next_page's page_length is honoured
    assert "still offered more after 6 pages for a run of 4 tasks" in listing.partial


async def test_tasks_of_other_runs_are_left_out_and_ids_listed_once():
    tasks = [task(1), task(2, workflow_id=476), task(3), task(1), task(4, workflow_id=476)]
    with serve(lambda n, length: page(tasks if n == 1 else [], None), 3) as server:
        listing = await list_tasks(server, 3)
    assert [t.id for t in listing.tasks] == [1, 3] and listing.left_out == 2 and listing.complete


async def test_a_run_that_grew_while_paging_is_followed_within_the_slack():
    """Concurrent pages 2..3 for a run of 250; the last one still offers page 4 (the run grew)."""

    def pages(n, length):
        ids = range((n - 1) * 100 + 1, min(n * 100, 320) + 1)
        return page([task(i) for i in ids], n + 1 if n * 100 < 320 else None)

    with serve(pages, 250) as server:
        listing = await list_tasks(server, 250)
    assert len(listing.tasks) == 320 and listing.pages == 4 and listing.complete


def test_zwr_tasks_against_a_next_page_pointing_back():
    five = [task(n) for n in range(1, 6)]
    with serve(lambda n, length: page(five, 1), 5) as server:
        out = run_zwr("tasks", str(RUN), env=cli_env(ZUORA_BASE_URL=server.base_url, ZUORA_BEARER_TOKEN=TOKEN))
    assert out.returncode == 11
    assert out.stdout.splitlines()[0] == "Run 5: 5 tasks in 1 page"
    assert "the task list is incomplete: next_page points back to page 1" in out.stderr
    assert "1000" not in out.stdout + out.stderr


def test_zwr_tasks_counts_in_good_english():
    with serve(lambda n, length: page([task(1)], None), 1) as server:
        env = cli_env(ZUORA_BASE_URL=server.base_url, ZUORA_BEARER_TOKEN=TOKEN)
        one = run_zwr("tasks", str(RUN), env=env)
    assert one.returncode == 0 and one.stdout.splitlines()[0] == "Run 5: 1 task in 1 page"
    with serve(lambda n, length: page([task(1), task(2, workflow_id=9)], None), 3) as server:
        env = cli_env(ZUORA_BASE_URL=server.base_url, ZUORA_BEARER_TOKEN=TOKEN)
        partial = run_zwr("tasks", str(RUN), env=env)
        as_json = run_zwr("tasks", str(RUN), "--json", env=env)
    assert partial.stdout.splitlines()[0] == "Run 5: 1 of 3 tasks (1 task of another run left out) in 1 page"
    assert [t["id"] for t in json.loads(as_json.stdout)] == [1] and "1 task of another run left out" in as_json.stderr


def test_the_same_fat_page_forever_keeps_memory_bounded():
    """100 tasks of 60 KB each (a 6 MB page) answered for every page of a run that says it has
    100,000 tasks: zwr stops at the second page; the child's peak memory stays small."""
    fat = [task(n, fat=60_000) for n in range(1, 101)]
    next_page = "https://rest.zuora.com/workflows/tasks?page=2&page_length=100"
    body = json.dumps({"data": fat, "pagination": {"page": 1, "page_length": 100, "next_page": next_page}}).encode()
    with serve(lambda n, length: Answer(body=body), 100_000) as server:
        probe = (
            "import resource, subprocess, sys; "
            "code = subprocess.call([sys.executable, '-m', 'tui', 'tasks', '5'], stdout=subprocess.DEVNULL); "
            "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        env = cli_env(ZUORA_BASE_URL=server.base_url, ZUORA_BEARER_TOKEN=TOKEN)
        out = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=ROOT, timeout=120
        )
        requests = len(server.seen("/workflows/tasks"))
    code, max_rss_kb = map(int, out.stdout.split())
    assert code == 11 and requests <= 1 + 8  # the first page, then at most one window of page_concurrency
    assert max_rss_kb < 400 * 1024, f"{max_rss_kb / 1024:.0f} MB"


# ---------------------------------------------------------------------------- the pager alone (no I/O)


def tasks_of(*ids: int) -> list[Task]:
    return [Task.parse(task(i)) for i in ids]


def test_without_a_total_the_hard_cap_ends_the_listing():
    pager = TaskPager(RUN)
    request = pager.first()
    for n in range(1, MAX_TASK_PAGES + 5):
        assert pager.accept(request, tasks_of(n), 100)
        following = pager.after(request, tasks_of(n), f"/x?page={n + 1}")
        if following is None:
            break
        request = following
    assert pager.pages == MAX_TASK_PAGES and "still offered more after 1000 pages" in pager.partial


def test_the_byte_budget_ends_the_listing():
    pager = TaskPager(RUN, max_bytes=1000)
    assert pager.accept(PageRequest(1, 100), tasks_of(1), 600)
    assert not pager.accept(PageRequest(2, 100), tasks_of(2), 600)
    assert pager.partial.startswith("stopped after 0 MB of task data (2 pages)")


def test_an_empty_page_ends_the_list_whatever_next_page_says():
    pager = TaskPager(RUN)
    assert pager.accept(PageRequest(1, 100), [], 10)
    assert pager.after(PageRequest(1, 100), [], "/x?page=2") is None and pager.partial is None


@pytest.mark.parametrize(
    "next_page, expected",
    [
        ("https://rest.zuora.com/workflows/tasks?page=2&page_length=20", PageRequest(2, 20)),
        ("/workflows/tasks?page=3", PageRequest(3, 100)),
        ("https://evil.example/?page_length=100000&page=9", PageRequest(9, 100)),  # length out of range
        ("https://x/?page=abc", PageRequest(2, 100)),  # unreadable page: the next one
        ("http://[::1", PageRequest(2, 100)),  # not even a URL
        (None, None),
        ("", None),
        (42, None),
    ],
)
def test_read_next_page(next_page, expected):
    assert read_next_page(next_page, PageRequest(1, 100)) == expected
