"""Fixtures of the share-flow suites: test data and link expectations."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from selenium.common.exceptions import NoAlertPresentException

from shareflow.links import LINK_KINDS, OUTCOMES, SCENES
from shareflow.yaml_errors import one_line

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Item:
    kind: str
    id: str
    title: str
    url: str


@dataclass(frozen=True)
class Data:
    group: str
    friend: str
    items: dict[str, Item]


EXPECTATIONS = pytest.StashKey[dict[str, dict[str, str]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--expectations",
        default=str(HERE / "expectations.yaml"),
        help="expected link outcomes per scene and link kind (default: the late-2021 policy)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Read the expectations before anything runs: a bad file stops the run with one message naming it."""
    config.stash[EXPECTATIONS] = read_expectations(Path(config.getoption("--expectations")))


def read_expectations(path: Path) -> dict[str, dict[str, str]]:
    """The expected outcome per scene and link kind; :class:`pytest.UsageError` naming the file and key."""
    try:
        text = path.read_text(encoding="utf-8")
        table = yaml.safe_load(text)
    except OSError as exc:
        raise pytest.UsageError(f"--expectations {path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise pytest.UsageError(one_line(path, exc, text)) from None
    if not isinstance(table, dict):
        raise pytest.UsageError(f"{path}: expected a mapping of scenes (p2p, group) to link kinds")
    for scene in SCENES:
        if not isinstance(table.get(scene), dict):
            raise pytest.UsageError(f"{path}: {scene}: missing, or not a mapping of link kinds to outcomes")
        for kind in LINK_KINDS:
            value = table[scene].get(kind)
            if value not in OUTCOMES:
                raise pytest.UsageError(f"{path}: {scene}.{kind}: {value!r} is not one of {sorted(OUTCOMES)}")
    return table


@pytest.fixture(autouse=True)
def fresh_phones(request: pytest.FixtureRequest) -> None:
    """Every phone of a test starts with an empty clipboard and no system alert up.

    A Tao password left there by an earlier test (on this phone, in whatever
    order xdist chose) makes Taobao show its clipboard card, and on iOS 16+
    leaves its paste alert over whichever app comes up next.
    """
    for name in ("phone", "phone_pair"):
        if name in request.fixturenames:
            value = request.getfixturevalue(name)
            for phone in value if isinstance(value, tuple) else (value,):
                phone.driver.set_clipboard_text("")
                if phone.platform == "ios":
                    with contextlib.suppress(NoAlertPresentException):
                        phone.driver.execute_script("mobile: alert", {"action": "dismiss"})


@pytest.fixture(scope="session")
def data() -> Data:
    raw = yaml.safe_load((HERE / "data.yaml").read_text(encoding="utf-8"))
    items = {kind: Item(kind, **fields) for kind, fields in raw["items"].items()}
    return Data(raw["group"], raw["friend"], items)


@pytest.fixture(scope="session")
def expectations(pytestconfig: pytest.Config) -> dict[str, dict[str, str]]:
    """Expected outcome per scene and link kind (read and checked when the run starts)."""
    return pytestconfig.stash[EXPECTATIONS]
