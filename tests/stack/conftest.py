"""What the stack tests share: ci/topology.py, loaded as a module (ci/ is no package), and the stack's ports."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def topology() -> ModuleType:
    """ci/topology.py: what `ci/farm` runs."""
    spec = importlib.util.spec_from_file_location("topology", ROOT / "ci" / "topology.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def stack_ports() -> list[int]:
    """Every port on 127.0.0.1 the stack of ci/farm.yaml listens on."""
    topology = yaml.safe_load((ROOT / "ci" / "farm.yaml").read_text(encoding="utf-8"))
    ports = [topology["farm"]["port"], topology["hub"]["port"], *topology["hub"]["event_bus_ports"]]
    return ports + [server[key] for server in topology["appium"] for key in ("port", "node_port")]
