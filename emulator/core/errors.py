"""One exception family carrying Stripe's wire fields; the HTTP layer renders every one the same way."""

from __future__ import annotations

from typing import Any

from emulator.core import messages


class StripeError(Exception):
    """Base of every error the emulator answers with. Subclasses fix `http_status` and `type`."""

    http_status: int = 400
    type: str = "invalid_request_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        http_status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        if http_status is not None:
            self.http_status = http_status
        self.headers: dict[str, str] = dict(headers or {})
        self.objects: dict[str, Any] = {}
        """Objects the error carries beside its fields, as Stripe's do: `payment_intent` or `setup_intent` when a
        confirmation fails (the intent as the failure left it)."""

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.code is not None:
            body["code"] = self.code
            body["doc_url"] = messages.DOC_URL_BASE + self.code.replace("_", "-")
        body["message"] = self.message
        if self.param is not None:
            body["param"] = self.param
        body["type"] = self.type
        body.update(self.objects)
        return {"error": body}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(http_status={self.http_status}, type={self.type!r}, code={self.code!r}, "
            f"param={self.param!r}, message={self.message!r})"
        )


class InvalidRequestError(StripeError):
    http_status = 400
    type = "invalid_request_error"


class ResourceMissingError(InvalidRequestError):
    http_status = 404

    def __init__(self, noun: str, object_id: str, *, param: str | None = None) -> None:
        super().__init__(
            messages.RESOURCE_MISSING.format(noun=noun, id=object_id), code="resource_missing", param=param
        )


class UnrecognizedUrlError(InvalidRequestError):
    http_status = 404

    def __init__(self, method: str, path: str, hint: str = "") -> None:
        super().__init__(messages.UNRECOGNIZED_URL.format(method=method, path=path) + hint)


class AuthenticationError(StripeError):
    http_status = 401
    type = "invalid_request_error"


class PermissionDeniedError(StripeError):
    http_status = 403
    type = "invalid_request_error"


class IdempotencyError(StripeError):
    http_status = 400
    type = "idempotency_error"


class IdempotencyKeyInUseError(InvalidRequestError):
    http_status = 409

    def __init__(self, key: str) -> None:
        super().__init__(messages.IDEMPOTENCY_IN_USE.format(key=key), code="idempotency_key_in_use")


class ApiError(StripeError):
    http_status = 500
    type = "api_error"


def missing(param: str) -> InvalidRequestError:
    return InvalidRequestError(messages.PARAMETER_MISSING.format(param=param), code="parameter_missing", param=param)


def unknown(param: str) -> InvalidRequestError:
    return InvalidRequestError(messages.PARAMETER_UNKNOWN.format(param=param), code="parameter_unknown", param=param)


def invalid(message: str, param: str, code: str | None = None) -> InvalidRequestError:
    return InvalidRequestError(message, code=code, param=param)


class ClientGone(Exception):
    """The client disconnected before its request arrived whole: there is nobody to answer, and it is not a server
    error (the server ends the exchange quietly)."""
