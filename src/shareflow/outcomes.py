"""Failure categories: the product, an unrecognised screen, the phone's set-up, the infrastructure, or the
harness itself — a few isinstance checks.

Every shareflow exception derives from one of :mod:`shareflow.errors`' bases. A product failure needs
proof: a check that recognised a known wrong state (an ``AssertionError``: the harness's
:class:`~shareflow.errors.ProductFailure` or a test's own ``assert``). A wait that gave up on a screen
showing nothing known to be wrong is an unrecognised screen; a phone not set up for a step (an empty node
tree where a locator needs one) is device setup. Errors of the client libraries count as infrastructure:
any WebDriver error (an element that was not found, or went while handled, proves nothing about the
app), urllib3's and the built-in connection errors. Anything else is the harness's own defect.
"""

from __future__ import annotations

from selenium.common.exceptions import WebDriverException
from urllib3.exceptions import HTTPError

from shareflow.errors import DeviceSetupError, InfrastructureError, UnrecognisedScreen

PRODUCT = "product"  # a known wrong state recognised on screen, or a test's own assert
UNRECOGNISED_SCREEN = "unrecognised screen"  # a wait gave up; nothing known to be wrong was on screen
DEVICE_SETUP = "device setup"  # the phone is not set up for a step (an empty node tree)
INFRASTRUCTURE = "infrastructure"  # session, device or server
HARNESS = "harness"  # a defect of the test code itself

# for pytest-rerunfailures: what is run again, and what never is. A phone not set up fails the same way
# again, and so does a product failure. An unrecognised screen is not run again either: the pop-ups and
# banners the harness knows are dismissed within the wait, so what is left is a screen it has no state
# for (a new dialog, a changed page, a template an app update broke). That repeats, and a retry that
# happened to pass would hide the screenshot that shows what needs a template or a dismiss rule, at the
# cost of a second full time-out.
INFRA_ERRORS: list[type[BaseException]] = [InfrastructureError, WebDriverException, ConnectionError, HTTPError]
NEVER_RETRIED: list[type[BaseException]] = [AssertionError, UnrecognisedScreen, DeviceSetupError]


def classify(error: BaseException | None) -> str:
    """The category of a test failure's exception."""
    if isinstance(error, DeviceSetupError):
        return DEVICE_SETUP
    if isinstance(error, UnrecognisedScreen):
        return UNRECOGNISED_SCREEN
    if isinstance(error, tuple(INFRA_ERRORS)):
        return INFRASTRUCTURE
    if isinstance(error, AssertionError):
        return PRODUCT
    return HARNESS
