"""shareflow installed from its wheel into another project's venv, next to pytest-playwright.

The wheel is built from this checkout and installed, with pytest-playwright, into a scratch venv
(versions from constraints.txt). There: a project without a devices file runs its own tests as if
shareflow were not installed; pytest starts with both plugins, each keeping its own options and
fixtures (pytest-playwright's ``--device`` and ``device``); and a ten-line test drives a phone of
the embedded farm with the template library that ships in the wheel, plus a folder of the user's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from shareflow_sim.scenario import NOISELESS

ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT_S = 900
RUN_TIMEOUT_S = 300
POOL = """\
devices:
  - name: droid
    platform: android
    os_version: "12"
    profile: android-fhd
    endpoint: embedded
    wechat: {account: wxid_droid, nickname: 安卓}
"""
SCENARIO = f"noise: {json.dumps({**NOISELESS, 'transition_ms': [150, 600]})}\n"
PHONE_TEST = """\
def test_a_taobao_item_opens(taobao, screen):
    taobao.open_item("652419876401")
    screen.expect("taobao/item")  # a template shipped in the wheel
    screen.expect("mine/item")  # a template of the project's own folder (--shareflow-templates)


def test_playwrights_device_fixture_is_its_own(device):
    assert device == "iPhone 13"  # pytest-playwright's --device, not a phone of the pool
"""
UNRELATED = "def test_arithmetic():\n    assert 1 + 1 == 2\n"


@dataclass(frozen=True)
class Scratch:
    """A venv with the shareflow wheel and pytest-playwright installed."""

    python: Path
    pytest: Path

    def run(self, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "VIRTUAL_ENV"))}
        argv = [str(self.pytest), "-p", "no:cacheprovider", *args]
        return subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
        )


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    folder = tmp_path_factory.mktemp("installed")
    dist = folder / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    assert built.returncode == 0, built.stderr
    [built_wheel] = dist.glob("shareflow-*.whl")
    env_dir = folder / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = [
        str(python),
        "-m",
        "pip",
        "--disable-pip-version-check",
        "-q",
        "install",
        "-c",
        str(ROOT / "constraints.txt"),
    ]
    done = subprocess.run(
        [*install, str(built_wheel), "pytest-playwright"], capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S
    )
    assert done.returncode == 0, done.stderr
    return Scratch(python, env_dir / "bin" / "pytest")


def test_the_wheel_ships_the_template_library(scratch: Scratch) -> None:
    code = "from shareflow.vision.templates import shipped_library as s; print(s())"
    shown = subprocess.run([str(scratch.python), "-c", code], capture_output=True, text=True, check=True)
    library = Path(shown.stdout.strip())
    assert "site-packages" in str(library)
    assert (library / "android" / "taobao" / "item.png").is_file()
    assert (library / "ios" / "wechat" / "blocked.yaml").is_file()


def test_a_project_without_a_devices_file_does_not_notice_shareflow(scratch: Scratch, tmp_path: Path) -> None:
    (tmp_path / "test_unrelated.py").write_text(UNRELATED, encoding="utf-8")
    done = scratch.run(tmp_path, "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert "shareflow" not in done.stdout + done.stderr


def test_both_plugins_keep_their_own_options(scratch: Scratch, tmp_path: Path) -> None:
    (tmp_path / "devices.yaml").write_text(POOL, encoding="utf-8")
    done = scratch.run(tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    playwright = done.stdout.split("Playwright", 1)[1]
    for option in ("--device=", "--output=", "--video=", "--screenshot="):
        assert option in playwright  # pytest-playwright's
    for option in (
        "--phone=",
        "--phones-file=",
        "--shareflow-output=",
        "--shareflow-video=",
        "--shareflow-screenshot=",
    ):
        assert option in done.stdout
    assert "deprecated: --phone\n" not in done.stdout  # --device belongs to pytest-playwright here


def test_a_ten_line_test_drives_a_phone_of_the_embedded_farm(scratch: Scratch, tmp_path: Path) -> None:
    (tmp_path / "devices.yaml").write_text(POOL, encoding="utf-8")
    (tmp_path / "quiet.yaml").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "test_phone.py").write_text(PHONE_TEST, encoding="utf-8")
    mine = tmp_path / "my-templates" / "android" / "mine"
    mine.mkdir(parents=True)
    for suffix in (".png", ".yaml"):
        shutil.copy(ROOT / "screenshots" / "android" / "taobao" / f"item{suffix}", mine / f"item{suffix}")
    done = scratch.run(
        tmp_path,
        "-v",
        "--device",
        "iPhone 13",
        "--shareflow-templates",
        "my-templates",  # from the rootdir
        "--sim-scenario",
        "quiet.yaml",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_a_taobao_item_opens[droid] PASSED" in done.stdout
    assert "test_playwrights_device_fixture_is_its_own PASSED" in done.stdout
    assert list((tmp_path / "test-results").glob("test_phone-test_a_taobao_item_opens_droid/*.jpg"))
