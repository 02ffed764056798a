"""pyproject.toml, environment.yml and constraints.txt describe the same, installable set."""
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from conftest import ROOT


def pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return {Requirement(r).name.lower(): Requirement(r).specifier for r in reqs}


def conda_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return {Requirement(r).name.lower(): Requirement(r).specifier for r in pip_section if not r.startswith("-e")}


def test_environment_yml_matches_pyproject():
    assert conda_requirements() == pyproject_requirements()


def test_constraints_pin_the_cpu_torch_and_satisfy_the_ranges():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = Version(version)
    assert str(pins["torch"]).endswith("+cpu"), "the test path must use the CPU wheel of torch"
    for name, specifier in pyproject_requirements().items():
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} is outside {specifier}"


def test_ranges_admit_colab():
    """Colab ships torch 2.11, transformers 5.15, datasets 4.0 and ipywidgets 7.7: installing must not replace them.
    (trl needs datasets >= 4.7, so installing the bundle there upgrades datasets; that never touches torch.)"""
    reqs = pyproject_requirements()
    for name, version in [("torch", "2.11.0"), ("transformers", "5.15.0"), ("datasets", "4.0.0"),
                          ("ipywidgets", "7.7.1")]:
        assert reqs[name].contains(version), f"{name} {version} (Colab) is outside {reqs[name]}"


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version
    for name in ["torch", "transformers", "datasets", "peft", "accelerate"]:
        pinned = next(l.split("==")[1] for l in (ROOT / "constraints.txt").read_text().splitlines()
                      if l.lower().startswith(name + "=="))
        assert version(name) == pinned
