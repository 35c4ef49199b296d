"""Failure categories: the product, the infrastructure, or the harness itself — a few isinstance checks.

Every shareflow exception derives from one of :mod:`shareflow.errors`' bases. A product failure needs
proof: a check that saw a wrong state (an ``AssertionError``: the harness's :class:`ProductFailure` or a
test's own ``assert``). Errors of the client libraries count as infrastructure: any WebDriver error (an
element that was not found, or went while handled, proves nothing about the app), urllib3's and the
built-in connection errors. Anything else is the harness's own defect.
"""

from __future__ import annotations

from selenium.common.exceptions import WebDriverException
from urllib3.exceptions import HTTPError

from shareflow.errors import InfrastructureError

PRODUCT = "product"  # a screen state not reached, or the wrong one shown
INFRASTRUCTURE = "infrastructure"  # session, device or server
HARNESS = "harness"  # a defect of the test code itself

# for pytest-rerunfailures: what is run again, and what never is
INFRA_ERRORS: list[type[BaseException]] = [InfrastructureError, WebDriverException, ConnectionError, HTTPError]
PRODUCT_ERRORS: list[type[BaseException]] = [AssertionError]


def classify(error: BaseException | None) -> str:
    """The category of a test failure's exception."""
    if isinstance(error, tuple(INFRA_ERRORS)):
        return INFRASTRUCTURE
    if isinstance(error, tuple(PRODUCT_ERRORS)):
        return PRODUCT
    return HARNESS
