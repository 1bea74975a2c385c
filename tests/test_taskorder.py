"""Sorting the task list by any column (issue 14, item 2): natural directions, missing values last."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tui.core.model import Task
from tui.core.taskorder import COLUMNS, sort_tasks


def task(i, status="Success", seconds=None, name=None, error=None, obj=None):
    data = {"id": i, "status": status, "name": name, "error": error, "object": obj}
    if seconds is not None:
        data |= {
            "start_time": "2024-01-01T00:00:00Z",
            "end_time": f"2024-01-01T00:{seconds // 60:02d}:{seconds % 60:02d}Z",
        }
    return Task.parse(data)


TASKS = [
    task(1, seconds=5, name="b"),
    task(2, "Error", seconds=50, name="A", error="zeta"),
    task(3, "Pending", name=None),
    task(4, "Error", seconds=1, name="c", error="alpha", obj="Invoice"),
    task(5, "Paused", seconds=50, name="d"),
]


def ids(tasks):
    return [t.id for t in tasks]


def test_each_column_sorts_naturally():
    assert ids(sort_tasks(TASKS, "duration")) == [2, 5, 1, 4, 3]  # slowest first, stable, unknown last
    assert ids(sort_tasks(TASKS, "status")) == [2, 4, 5, 3, 1]  # errors, the unknown status, pending, ...
    assert ids(sort_tasks(TASKS, "name")) == [2, 1, 4, 5, 3]  # case-insensitive, no name last
    assert ids(sort_tasks(TASKS, "error")) == [4, 2, 1, 3, 5]
    assert ids(sort_tasks(TASKS, "object"))[0] == 4
    assert ids(sort_tasks(TASKS, "id", reverse=True)) == [5, 4, 3, 2, 1]
    assert ids(sort_tasks(TASKS, "duration", reverse=True)) == [4, 1, 2, 5, 3]  # fastest first, unknown still last
    assert ids(sort_tasks(TASKS, "status", reverse=True)) == [1, 3, 5, 2, 4]


@given(
    st.lists(
        st.builds(
            task,
            st.integers(1, 50),
            st.sampled_from(["Success", "Error", "x"]),
            st.none() | st.integers(0, 3000),
            st.none() | st.text(max_size=3),
        ),
        max_size=30,
    ),
    st.sampled_from(sorted(COLUMNS)),
    st.booleans(),
)
def test_sorting_is_a_permutation_and_never_raises(tasks, column, reverse):
    ordered = sort_tasks(tasks, column, reverse=reverse)
    assert sorted(map(id, ordered)) == sorted(map(id, tasks))
