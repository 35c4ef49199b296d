"""W3C WebDriver errors: each one's code, HTTP status and default message, as Appium answers them."""

from __future__ import annotations

from starlette.responses import JSONResponse


class WebDriverError(Exception):
    """A W3C WebDriver error: its code, HTTP status and message."""

    error = "unknown error"
    status = 500
    default = "An unknown server-side error occurred while processing the command."

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.default)

    def response(self) -> JSONResponse:
        body = {"value": {"error": self.error, "message": str(self), "stacktrace": ""}}
        return JSONResponse(body, status_code=self.status)


class UnknownError(WebDriverError):
    @classmethod
    def wrapping(cls, original: str) -> UnknownError:
        """Appium's UnknownError around a driver's own words."""
        return cls(f"{cls.default} Original error: {original}")


class NoSuchElement(WebDriverError):
    error, status = "no such element", 404
    default = "An element could not be located on the page using the given search parameters."


class StaleElement(WebDriverError):
    error, status = "stale element reference", 404
    default = "An element command failed because the referenced element is no longer attached to the DOM."


class InvalidSessionId(WebDriverError):
    error, status = "invalid session id", 404
    default = "A session is either terminated or not started"


class UnknownCommand(WebDriverError):
    error, status = "unknown command", 404
    default = (
        "The requested resource could not be found, or a request was received using an HTTP method "
        "that is not supported by the mapped resource"
    )


class UnknownMethod(WebDriverError):
    error, status = "unknown method", 405
    default = "Method has not yet been implemented"


class InvalidArgument(WebDriverError):
    error, status = "invalid argument", 400
    default = "The arguments passed to the command are either invalid or malformed"


class InvalidSelector(WebDriverError):
    error, status = "invalid selector", 400


class InvalidElementState(WebDriverError):
    error, status = "invalid element state", 400


class ElementNotInteractable(WebDriverError):
    error, status = "element not interactable", 400


class MoveTargetOutOfBounds(WebDriverError):
    error, status = "move target out of bounds", 500


class SessionNotCreated(WebDriverError):
    error, status = "session not created", 500

    def __init__(self, details: str) -> None:
        super().__init__(f"A new session could not be created. Details: {details}")


class NoSuchAlert(WebDriverError):
    error, status = "no such alert", 404
    default = "An attempt was made to operate on a modal dialog when one was not open."


class NoSuchContext(WebDriverError):
    error, status = "no such context", 400
    default = "No such context found."


class UnsupportedOperation(WebDriverError):
    error, status = "unsupported operation", 500
