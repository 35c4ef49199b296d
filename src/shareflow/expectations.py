"""Expected link outcomes: what tapping a shop link in WeChat should show, per scene and link kind.

An expectations file (the suites' ``--expectations``, default ``tests/e2e/expectations.yaml``) maps
each scene (``p2p``, ``group``) to each link kind (``taobao``, ``tmall``, ``jd``) and the outcome
expected (``direct``, ``interstitial``, ``blocked``, ``copy_to_browser``). A test looks its own up
with ``expectations.of(scene, kind)``; its scene and link kind come from its markers
(``@pytest.mark.group`` / ``@pytest.mark.p2p``, ``@pytest.mark.link("taobao")``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from shareflow.errors import UsageError
from shareflow.links import LINK_KINDS, OUTCOMES, SCENES, LinkKind, Outcome, Scene
from shareflow.yaml_errors import one_line


class ExpectationsError(UsageError):
    """An expectations file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Expectations:
    """The expected outcome per scene and link kind, as read from ``source``."""

    table: Mapping[Scene, Mapping[LinkKind, Outcome]]
    source: Path

    def of(self, scene: Scene, kind: LinkKind) -> Outcome:
        """The outcome expected of a ``kind`` link in a ``scene`` chat."""
        if scene not in self.table or kind not in self.table[scene]:
            raise KeyError(f"{self.source}: no expected outcome for a {kind!r} link in a {scene!r} chat")
        return self.table[scene][kind]


def load(path: Path) -> Expectations:
    """Read and check an expectations file; :class:`ExpectationsError` naming the file and the key."""
    try:
        text = path.read_text(encoding="utf-8")
        table = yaml.safe_load(text)
    except OSError as exc:
        raise ExpectationsError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ExpectationsError(one_line(path, exc, text)) from None
    if not isinstance(table, dict):
        raise ExpectationsError(f"{path}: expected a mapping of scenes (p2p, group) to link kinds")
    for scene in SCENES:
        if not isinstance(table.get(scene), dict):
            raise ExpectationsError(f"{path}: {scene}: missing, or not a mapping of link kinds to outcomes")
        for kind in LINK_KINDS:
            value = table[scene].get(kind)
            if value not in OUTCOMES:
                raise ExpectationsError(f"{path}: {scene}.{kind}: {value!r} is not one of {sorted(OUTCOMES)}")
    return Expectations({scene: {kind: table[scene][kind] for kind in LINK_KINDS} for scene in SCENES}, path)
