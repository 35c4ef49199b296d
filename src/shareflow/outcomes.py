"""Failure categories: the product, the infrastructure, or the harness itself."""

from __future__ import annotations

from selenium.common.exceptions import (
    InvalidSessionIdException,
    NoSuchElementException,
    SessionNotCreatedException,
    StaleElementReferenceException,
    WebDriverException,
)
from urllib3.exceptions import HTTPError

from shareflow.launcher import LaunchError
from shareflow.lease import LeaseTimeout
from shareflow.session import SessionError

PRODUCT = "product"  # a screen state not reached, or the wrong one shown
INFRASTRUCTURE = "infrastructure"  # session, device or server
HARNESS = "harness"  # a defect of the test code itself

_INFRA = (
    SessionError,
    LeaseTimeout,
    LaunchError,
    InvalidSessionIdException,
    SessionNotCreatedException,
    ConnectionError,
    HTTPError,
)
PRODUCT_ERRORS = [AssertionError, NoSuchElementException, StaleElementReferenceException]
INFRA_ERRORS = [*_INFRA, WebDriverException]  # any other WebDriver error is the server's, not the app's


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
