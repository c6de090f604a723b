"""The Datasets sidebar in a real JupyterLab, driven by headless Chromium.

Needs the extension installed (scripts/build_lab.sh, which scripts/test.sh runs first).
The screenshot lands in build/screenshots/lab-sidebar.png; docs/lab-sidebar.png (in the
README) is a copy of it.
"""

import json
import os
import subprocess
import sys

import pytest

from plexus_datasets import connect
from plexus_datasets.demo import seed_demo
from tests.servers import CHROMIUM, CHROMIUM_ARGS, JupyterLab
from tests.test_browser import ARTIFACTS, accept_kernel_dialog, notebook

HOSTILE = "<img src=x onerror=alert(1)>"


def test_labextension_is_installed_and_enabled():
    listed = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True,
                            text=True, check=True)
    line = next(line for line in (listed.stdout + listed.stderr).splitlines() if "plexus-datasets-lab" in line)
    assert "enabled" in line and "OK" in line
    server = subprocess.run([sys.executable, "-m", "jupyter", "server", "extension", "list"], capture_output=True,
                            text=True, check=True)
    assert "plexus_datasets_lab" in server.stdout + server.stderr


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is installed by scripts/test.sh")
def test_sidebar_lists_datasets_and_inserts_load_code(tmp_path):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "lab.db"
    svc = connect(str(db))
    seed_demo(svc)
    rows = len(svc.load("greeting-calls"))
    greeting_id = svc.get_dataset("greeting-calls").id  # the history cell names the dataset by id
    svc.create_dataset("demo-cc-qa", HOSTILE, configuration={"class": "InlineItems", "items": [{"a": 1}]},
                       note=HOSTILE)
    svc.close()
    (tmp_path / "analysis.ipynb").write_text(json.dumps(notebook([""])))
    env = {"PLEXUS_DATASETS_DB": str(db), "PLEXUS_DATASETS_CACHE_DIR": str(tmp_path / "cache")}
    with JupyterLab(tmp_path, env=env) as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            page.goto(f"{lab.url}/lab/tree/analysis.ipynb?token={lab.token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            accept_kernel_dialog(page)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)

            page.locator(".jp-SideBar.jp-mod-left [data-id='plexus-datasets-panel']").click()
            page.wait_for_selector(".pds-Dataset", timeout=30_000)
            names = page.locator(".pds-Dataset-name").all_inner_texts()
            assert names == [HOSTILE, "greeting-calls", "greeting-calls-balanced", "misrepresentation-review"]
            assert page.locator(".pds-Panel img").count() == 0  # the name is text, never markup
            page.locator(".pds-Dataset").first.click()
            page.wait_for_selector(".pds-Version-note", timeout=30_000)
            assert page.locator(".pds-Version-note").inner_text() == HOSTILE
            assert page.locator(".pds-Panel img").count() == 0
            assert "Demo Call Center QA" in page.locator(".pds-Panel-scorecard").inner_text()

            page.locator(".pds-Panel-filter").fill("misrep")
            assert page.locator(".pds-Dataset-name").all_inner_texts() == ["misrepresentation-review"]
            page.locator(".pds-Panel-filter").fill("")

            page.locator(".pds-Dataset", has_text="greeting-calls-balanced").click()
            page.locator(".pds-Dataset", has_text="greeting-calls").first.click()
            page.wait_for_selector(".pds-Version-label >> text=v3", timeout=30_000)
            versions = page.locator(".pds-Version-label").all_inner_texts()
            assert versions == ["v3", "v2", "v1"]
            current = page.locator(".pds-Version", has=page.locator(".pds-Version-current"))
            assert current.locator(".pds-Version-label").inner_text() == "v3"
            page.wait_for_selector(".pds-Profile-rows", timeout=30_000)
            assert "80 rows" in page.locator(".pds-Profile-rows").inner_text()
            assert "Greeting:" in page.locator(".pds-Profile-answers").first.inner_text()

            page.locator(".jp-Notebook .jp-Cell .jp-InputArea-editor").first.click()  # cursor in the cell
            page.locator(".pds-Action-insert").click()
            cell_text = page.locator(".jp-Notebook .jp-Cell .cm-content").first.inner_text()
            assert cell_text == ('import plexus_datasets as pds\nsvc = pds.connect()\n'
                                 'df = svc.load("greeting-calls:v3")\ndf.head()')
            page.locator(".jp-Notebook .jp-Cell .jp-InputArea-editor").first.click()
            page.keyboard.press("Shift+Enter")
            output = page.wait_for_selector(".jp-OutputArea-output table", timeout=90_000)
            assert "content_id" in output.inner_text() and "Greeting" in output.inner_text()
            assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0

            page.locator(".pds-Action-history").click()
            page.wait_for_selector(".jp-OutputArea-output .js-plotly-plot .main-svg", timeout=90_000)
            history_cell = page.locator(".jp-Notebook .jp-Cell .cm-content", has_text="ProfileHistory").inner_text()
            assert history_cell == ('from plexus_datasets.widgets import ProfileHistory\n'
                                    f'ProfileHistory("{greeting_id}", svc)')
            page.locator(".pds-Panel-filter").fill("greeting")
            page.locator(".pds-Dataset", has_text="greeting-calls").first.click()  # back to the load-code view
            page.wait_for_selector(".pds-Profile-rows", timeout=30_000)

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "lab-sidebar.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 20_000
            assert rows == 80
        except Exception:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "lab-sidebar-failure.png"))
            print(lab.log.read_text()[-3000:])
            raise
        finally:
            browser.close()
