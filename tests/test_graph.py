"""The build graph's scheduler and the one key scheme (pipeline/build/graph.py, keys.py)."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from pipeline.build import keys
from pipeline.build.graph import StageTimes, Step, check_graph, run_steps


def _times() -> StageTimes:
    return StageTimes(lambda message: None)


def test_each_step_gets_the_results_of_what_it_needs():
    steps = [
        Step("a", lambda: 2),
        Step("b", lambda a: a * 10, ("a",)),
        Step("c", lambda a, b: a + b, ("a", "b")),
    ]
    assert run_steps(steps, _times()) == {"a": 2, "b": 20, "c": 22}


def test_a_ready_step_runs_before_one_waiting_for_work_elsewhere():
    """While a step's input is still running in another thread, the next ready step runs first;
    the waiting step gets the Future's outcome, not the Future."""
    order: list[str] = []
    release = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        steps = [
            Step("slow", lambda: pool.submit(lambda: (release.wait(5), "drawn")[1])),
            Step("uses slow", lambda slow: order.append(f"uses {slow}"), ("slow",)),
            Step("ready", lambda: (order.append("ready"), release.set())),
        ]
        run_steps(steps, _times())
    assert order == ["ready", "uses drawn"]


def test_results_handed_elsewhere_are_waited_for_and_errors_surface():
    failed: Future = Future()
    failed.set_exception(RuntimeError("worker failed"))
    with pytest.raises(RuntimeError, match="worker failed"):
        run_steps([Step("w", lambda: failed), Step("after", lambda w: w, ("w",))], _times())


def test_stage_times_add_up_steps_that_share_a_stage():
    times = _times()
    run_steps([Step("a", lambda: None, stage="pdf"), Step("b", lambda: None, stage="pdf"), Step("c", lambda: 1)], times)
    assert list(times) == ["pdf", "c"]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([Step("a", lambda: 1), Step("a", lambda: 2)], "declared twice"),
        ([Step("b", lambda a: a, ("a",)), Step("a", lambda: 1)], "not declared before it"),
        ([Step("a", lambda a: a, ("a",))], "not declared before it"),
    ],
)
def test_a_graph_with_a_duplicate_or_a_forward_need_is_refused(steps, message):
    with pytest.raises(ValueError, match=message):
        check_graph(steps)


def test_keys_change_with_the_step_the_inputs_and_the_libraries(monkeypatch):
    base = keys.key("table", "spec", "data")
    assert base == keys.key("table", "spec", "data")
    assert base != keys.key("figure", "spec", "data")
    assert base != keys.key("table", "spec", "other data")
    assert keys.key("t", "ab", "c") != keys.key("t", "a", "bc")  # boundaries count
    monkeypatch.setattr(keys, "library_versions", lambda libraries: "pandas=0.0.0")
    assert base != keys.key("table", "spec", "data")


def test_a_step_keyed_by_its_own_code_ignores_the_rest_of_the_pipeline(tmp_path, monkeypatch):
    """A PDF part is keyed by the module that renders it: editing another module keeps its key,
    editing that one changes it; a whole-pipeline key changes with either."""
    for name, text in {"output/pdf_render.py": "render", "stages/tabulate.py": "tabulate"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(keys, "PIPELINE", tmp_path)

    def keys_now() -> tuple[str, str]:
        keys.code_version.cache_clear()
        return keys.key("pdf part", "html", code=("output/pdf_render.py",)), keys.key("table", "spec")

    part, table = keys_now()
    (tmp_path / "stages/tabulate.py").write_text("tabulate, edited")
    part_after_stage_edit, table_after_stage_edit = keys_now()
    (tmp_path / "output/pdf_render.py").write_text("render, edited")
    part_after_render_edit, _ = keys_now()
    keys.code_version.cache_clear()
    assert part_after_stage_edit == part and table_after_stage_edit != table
    assert part_after_render_edit != part
    with pytest.raises(ValueError, match="neither a module nor a package"):
        keys.code_version(("output/no_such_module.py",))


def test_dpkg_versions_are_read_for_installed_packages_only():
    status = (
        "Package: libpango-1.0-0\nStatus: install ok installed\nVersion: 1.50.12+ds-1\n\n"
        "Package: chromium\nStatus: deinstall ok config-files\nVersion: 120.0-1\n\n"
        "Package: fonts-dejavu-core\nStatus: install ok installed\nArchitecture: all\nVersion: 2.37-6\n"
    )
    assert keys._dpkg_versions(status) == {"libpango-1.0-0": "1.50.12+ds-1", "fonts-dejavu-core": "2.37-6"}


def test_library_versions_name_every_library_that_shapes_the_outputs():
    listed = dict(item.split("=") for item in keys.library_versions().split(";"))
    assert set(listed) == set(keys.LIBRARIES)
    assert listed["pandas"] != "absent" and listed["weasyprint"] != "absent" and listed["pyyaml"] != "absent"
