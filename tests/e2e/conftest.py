"""Fixtures of the share-flow suites: test data, the item a test shares, and the expected link outcomes.

The phones come from the shareflow plugin, which starts each test with Taobao and WeChat stopped, every
phone's clipboard empty and no system alert up; a test's door (carrier, scene, link kind) comes from its markers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from flows import Data, Item

from shareflow import expectations as expected_outcomes
from shareflow.expectations import Expectations, ExpectationsError

HERE = Path(__file__).parent
EXPECTATIONS = pytest.StashKey[Expectations]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--expectations",
        default=str(HERE / "expectations.yaml"),
        help="expected link outcomes per scene and link kind (default: the late-2021 policy)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Read the expectations before anything runs: a bad file stops the run with one message naming it."""
    try:
        config.stash[EXPECTATIONS] = expected_outcomes.load(Path(config.getoption("--expectations")))
    except ExpectationsError as exc:
        raise pytest.UsageError(f"--expectations {exc}") from None


@pytest.fixture(scope="session")
def data() -> Data:
    raw = yaml.safe_load((HERE / "data.yaml").read_text(encoding="utf-8"))
    items = {kind: Item(kind, **fields) for kind, fields in raw["items"].items()}
    return Data(raw["group"], raw["friend"], items, raw["products"])


@pytest.fixture
def item(data: Data, link_kind: str) -> Item:
    """The item a test shares: the one of its link kind (``@pytest.mark.link``)."""
    return data.items[link_kind]


@pytest.fixture(scope="session")
def expectations(pytestconfig: pytest.Config) -> Expectations:
    """Expected outcome per scene and link kind, ``expectations.of(scene, kind)`` (read when the run starts)."""
    return pytestconfig.stash[EXPECTATIONS]
