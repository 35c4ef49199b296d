"""The three kinds of failure every shareflow exception is one of, so that telling them apart is isinstance.

- :class:`ProductFailure`: the app under test did wrong — a screen state not reached, or a known
  wrong state recognised on screen. An ``AssertionError``, as pytest and its plugins expect of a
  test's own failures; not retried.
- :class:`InfrastructureError`: the phone, its session, the server or the farm failed; retried once.
- :class:`UsageError`: an input is wrong (devices.yaml, a scenario, a template, an option); the
  message names the file, entry and field, and the CLI exits 2.
"""

from __future__ import annotations


class ProductFailure(AssertionError):
    """The app under test did wrong, as far as the screen shows."""


class InfrastructureError(RuntimeError):
    """A phone, session, server or farm failed: not the product's doing; the test is run again."""


class UsageError(ValueError):
    """An input the user gave is wrong: one message naming the file, entry and field."""
