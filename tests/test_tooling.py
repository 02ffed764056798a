"""The lab generator, the notebooks' shared conventions, and the CI entry point."""
import shutil

import nbformat
import pytest

import make_labs
from conftest import ROOT
from make_labs import SolutionMarkerError, strip_solution_regions

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_solution_region_becomes_an_indented_stub():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n\nprint(f)"
    lab = strip_solution_regions(source, "code", "cell")
    assert "return x + 1" not in lab
    assert "    raise NotImplementedError(" in lab
    assert lab.startswith("def f(x):\n    # YOUR CODE HERE\n") and lab.endswith("\n\nprint(f)")


def test_markdown_answer_becomes_a_prompt():
    lab = strip_solution_regions("Q?\n<!-- BEGIN SOLUTION -->\nA.\n<!-- END SOLUTION -->", "markdown", "cell")
    assert lab == "Q?\n*Your answer here.*"


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "has no '### BEGIN SOLUTION'"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside the region opened on line 1"),
])
def test_bad_markers_name_the_cell_and_line(source, message):
    with pytest.raises(SolutionMarkerError, match=message) as error:
        strip_solution_regions(source, "code", "solutions/99_x.ipynb, cell 4")
    assert "solutions/99_x.ipynb, cell 4" in str(error.value)


def test_committed_labs_match_solutions():
    assert make_labs.main(["--check"]) == 0


def test_check_mode_reports_the_drifted_file(tmp_path, capsys):
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    shutil.copytree(ROOT / "labs", tmp_path / "labs")
    lab = sorted((tmp_path / "labs").glob("*.ipynb"))[0]
    lab.write_text(lab.read_text().replace("Lab 0", "Lab O", 1))
    code = make_labs.main(["--check", "--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")])
    err = capsys.readouterr().err
    assert code == 1 and lab.name in err and "never edited by hand" in err


def test_unclosed_region_in_a_solution_fails_generation(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n"))
    nbformat.write(nb, tmp_path / "solutions" / "99_bad.ipynb")
    assert make_labs.main(["--solutions", str(tmp_path / "solutions"), "--labs", str(tmp_path / "labs")]) == 1
    assert "never closed" in capsys.readouterr().err


@pytest.mark.parametrize("path", SOLUTIONS + sorted((ROOT / "labs").glob("*.ipynb")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebooks_are_committed_without_outputs(path):
    assert not make_labs.has_outputs(path)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_notebook_conventions(path):
    """The lab shape: objectives, prerequisites, time and a Colab badge to its own path first; the shared Colab setup
    cell, then the PROFILE parameter cell; "Check your understanding" with answers on request just before the last
    cell, which records the notebook's figures and wall time."""
    import re

    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    for word in ("**Objectives.**", "**Prerequisites.**", "**Time:**", "colab-badge"):
        assert word in first.source, f"{path.name}: first cell lacks {word}"
    assert f"/blob/main/labs/{path.name})" in first.source
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells[0].source.strip() == (ROOT / "tools" / "setup_cell.py").read_text().strip()
    assert code_cells[1].source.startswith('PROFILE = os.environ.get("ITL_PROFILE", "offline")')
    assert "## Check your understanding" in nb.cells[-2].source
    assert "<details><summary>Answers (open after you have written yours)</summary>" in nb.cells[-2].source
    assert code_cells[-1].source.lstrip().startswith("seconds = time.perf_counter() - notebook_start")
    assert re.search(rf'record_results\(\s*"{re.escape(path.stem)}"', code_cells[-1].source)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()[:3000]


def readme_utils_map() -> dict[str, set[str]]:
    """module -> notebook prefixes, from the README's table of the utils package."""
    import re

    notebooks = {p.name.split("_")[0] for p in (ROOT / "solutions").glob("*.ipynb")}
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| module | the concept | labs |"):].split("\n\n")[0]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        labs = cells[-1]
        chosen = (notebooks if labs == "all" else notebooks - {"00"} if labs == "all but 00"
                  else set() if labs == "none" else set(labs.split()))
        for module in re.findall(r"`(\w+)`", cells[0]):
            rows[module] = chosen
    return rows


def test_the_readme_map_of_utils_lists_every_module_and_exactly_the_labs_that_import_it():
    import re

    rows = readme_utils_map()
    modules = {p.stem for p in (ROOT / "utils").glob("*.py") if p.stem != "__init__"}
    assert set(rows) == modules, f"README map vs utils/: missing {modules - set(rows)}, extra {set(rows) - modules}"
    for module, labs in rows.items():
        pattern = re.compile(rf"from utils\.{module} import|import utils\.{module}\b")
        importing = {p.name.split("_")[0] for p in (ROOT / "solutions").glob("*.ipynb")
                     if pattern.search("".join(c.source for c in nbformat.read(p, as_version=4).cells))}
        assert importing == labs, f"utils.{module}: README says {sorted(labs)}, notebooks import it: {sorted(importing)}"


def test_utils_init_points_to_the_same_map():
    import utils

    for module in readme_utils_map():
        assert f"`{module}`" in utils.__doc__, f"utils/__init__.py does not mention {module}"
