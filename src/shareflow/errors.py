"""The kinds of failure every shareflow exception is one of, so that telling them apart is isinstance.

- :class:`ProductFailure`: the app under test did wrong, proven: a known wrong state positively
  recognised on screen (the blocked page, another item's title, a disabled 提交订单). An
  ``AssertionError``, as pytest and its plugins expect of a test's own failures; not retried.
- :class:`UnrecognisedScreen`: a step did not see what it waited for, and nothing known to be wrong
  was recognised either: the screenshot and the closest states say what the screen showed. Not retried.
- :class:`DeviceSetupError`: the phone is not set up for a step (an app's node tree empty where a
  locator needs it); the message says what to set up. Not retried: it would fail the same way.
- :class:`InfrastructureError`: the phone, its session, the server or the farm failed; retried once.
- :class:`UsageError`: an input is wrong (devices.yaml, a scenario, a template, an option); the
  message names the file, entry and field, and the CLI exits 2.
"""

from __future__ import annotations


class ProductFailure(AssertionError):
    """The app under test did wrong: a known wrong state, recognised on screen."""


class UnrecognisedScreen(Exception):
    """What a step waited for did not show, and the screen was not recognised as a known wrong state."""


class DeviceSetupError(Exception):
    """The phone is not set up for a step; the message says what to turn on or write down."""


class InfrastructureError(RuntimeError):
    """A phone, session, server or farm failed: not the product's doing; the test is run again."""


class UsageError(ValueError):
    """An input the user gave is wrong: one message naming the file, entry and field."""
