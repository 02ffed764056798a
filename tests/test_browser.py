"""JupyterLab in a real browser: serve a copy of labs/, open every lab in headless Chromium, run its first cells,
and check that lab 00's tokenizer widget renders and reacts to typing.

Needs Debian's `chromium` (`.ci/run` installs it) and Playwright's Python package (no browser download: we pass
`executable_path`). Skipped on a machine without Chromium, except in CI, where that is a failure.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LABS = sorted((ROOT / "labs").glob("*.ipynb"))
TOKEN = "itl-browser-test"
VISIBLE = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"  # the notebook in the visible tab
FIRST_CELLS = 4  # the title (markdown), the setup cell, the parameter cell and the next one
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    served = tmp_path_factory.mktemp("served")
    shutil.copytree(ROOT / "labs", served / "labs")  # a copy: the repo's notebooks stay untouched
    settings = served / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # render every cell (no virtual scrolling), so the test can see all prompts and outputs
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port = _free_port()
    env = {**os.environ, "ITL_ROOT": str(ROOT), "ITL_PROFILE": "offline", "TOKENIZERS_PARALLELISM": "false",
           "JUPYTERLAB_SETTINGS_DIR": str(served / ".settings"), "HF_HUB_OFFLINE": "1",
           "JUPYTERLAB_WORKSPACES_DIR": str(served / ".workspaces")}  # no layout restored from an earlier run
    env.pop("ITL_STRICT_CHECKS", None)  # the labs hold stubs: checks must print, not raise
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={served}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(served / "jupyter.log", "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            _get(f"{base}/api/status?token={TOKEN}")
            break
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("JupyterLab did not start:\n" + (served / "jupyter.log").read_text()[-3000:])
            time.sleep(0.5)
    yield base
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _wait_kernel_idle(base: str, notebook: str, timeout: float = 120) -> None:
    """Wait, through the server's REST API, until the notebook's kernel reports idle."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for session in _get(f"{base}/api/sessions?token={TOKEN}"):
            if session["path"].endswith(notebook) and session["kernel"]["execution_state"] == "idle":
                return
        time.sleep(0.5)
    raise AssertionError(f"the kernel of {notebook} never became idle")


def _run_cells(page, base: str, notebook: str, count: int) -> None:
    """Select the first cell and press Shift+Enter `count` times; wait until every code cell run has finished.

    The frontend marks a queued or running cell `[*]` as soon as it is submitted, so "no `[*]` left" means done
    (the server's kernel state is not used here: after an error it can stay 'busy' while queued cells are aborted).
    """
    page.locator(f"{VISIBLE} .jp-Cell").first.click()
    page.keyboard.press("Escape")
    for _ in range(count):
        page.keyboard.press("Shift+Enter")
        page.wait_for_timeout(200)
    page.wait_for_function("""() => {
        const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
        return !prompts.some(t => t.includes('*'));
    }""", timeout=180_000)


def _open(browser, base: str, notebook: str):
    page = browser.new_page()
    # a workspace of its own, reset: otherwise JupyterLab restores the tabs an earlier page opened
    page.goto(f"{base}/lab/workspaces/{Path(notebook).stem}/tree/labs/{notebook}?reset&token={TOKEN}")
    page.wait_for_selector(f"{VISIBLE} .jp-Cell", timeout=90_000)
    _wait_kernel_idle(base, notebook)
    return page


def _errors(page) -> list[str]:
    texts = page.locator(f"{VISIBLE} .jp-OutputArea-output").all_inner_texts()
    return [t for t in texts if "Traceback" in t]


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_lab_opens_and_its_first_cells_run(browser, server, lab):
    page = _open(browser, server, lab.name)
    _run_cells(page, server, lab.name, FIRST_CELLS)
    executed = [t for t in page.locator(f"{VISIBLE} .jp-CodeCell .jp-InputPrompt").all_inner_texts()
                if t.strip("[]: ").isdigit()]
    assert executed, f"{lab.name}: no cell ran"
    assert not _errors(page), f"{lab.name}: {_errors(page)[0][:2000]}"
    page.close()


def test_tokenizer_widget_renders_and_reacts_to_typing(browser, server):
    notebook = "00_setup.ipynb"
    cells = nbformat.read(ROOT / "labs" / notebook, as_version=4).cells
    widget_cell = next(i for i, c in enumerate(cells) if "display(widgets.VBox" in c.source)
    page = _open(browser, server, notebook)
    _run_cells(page, server, notebook, widget_cell + 1)
    assert not _errors(page), _errors(page)[0][:2000]
    text_input = page.locator(".widget-text input").first
    text_input.wait_for(state="visible", timeout=30_000)
    # (other HTML widgets are on the page too, e.g. the progress bars of model loading)
    view = page.locator(".widget-html-content", has_text="tokens").first
    view.wait_for(state="visible", timeout=30_000)
    text_input.fill("Hello<|eot_id|> world, hello again")
    page.wait_for_function("() => [...document.querySelectorAll('.widget-html-content')]"
                           ".some(e => e.textContent.includes('eot_id'))", timeout=30_000)
    page.close()
