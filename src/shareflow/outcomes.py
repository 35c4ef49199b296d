"""Failure categories: the product, the infrastructure, or the harness itself."""

from __future__ import annotations

from selenium.common.exceptions import InvalidSessionIdException, SessionNotCreatedException, WebDriverException
from urllib3.exceptions import HTTPError

from shareflow.launcher import LaunchError
from shareflow.lease import LeaseTimeout
from shareflow.phone import AppNotInFront
from shareflow.session import SessionError

PRODUCT = "product"  # a screen state not reached, or the wrong one shown
INFRASTRUCTURE = "infrastructure"  # session, device or server
HARNESS = "harness"  # a defect of the test code itself

_INFRA = (
    SessionError,
    LeaseTimeout,
    LaunchError,
    AppNotInFront,
    InvalidSessionIdException,
    SessionNotCreatedException,
    ConnectionError,
    HTTPError,
)
# A product failure needs proof: a check that saw a wrong state (the harness's AssertionErrors). An element
# that was not found, or went while being handled, proves nothing about the app: a WebDriver error is never
# the product's.
PRODUCT_ERRORS = [AssertionError]
INFRA_ERRORS = [*_INFRA, WebDriverException]  # any WebDriver error is the server's or the device's, not the app's


def classify(error: BaseException | None) -> str:
    """The category of a test failure's exception."""
    if error is None:
        return HARNESS
    if isinstance(error, _INFRA):
        return INFRASTRUCTURE
    if isinstance(error, tuple(PRODUCT_ERRORS)):
        return PRODUCT
    if isinstance(error, WebDriverException):
        return INFRASTRUCTURE
    return HARNESS
