"""Stripe's error message templates, as data (one place to check them against the reference)."""

from __future__ import annotations

DOC_URL_BASE = "https://docs.stripe.com/error-codes/"

PARAMETER_MISSING = "Missing required param: {param}."
PARAMETER_UNKNOWN = "Received unknown parameter: {param}"
PARAMETER_INVALID_EMPTY = (
    "You passed an empty string for '{param}'. We assume empty values are an attempt to unset a parameter; "
    "however '{param}' cannot be unset. You should remove '{param}' from your request or supply a non-empty value."
)
PARAMETER_INVALID_INTEGER = "Invalid integer: {value}"
PARAMETER_INVALID_BOOLEAN = "Invalid boolean: {value}"
PARAMETER_INVALID_STRING = "Invalid string: {value}"
PARAMETER_INVALID_ARRAY = "Invalid array"
PARAMETER_INVALID_HASH = "Invalid hash"
PARAMETER_INVALID_ENUM = "Invalid {param}: must be one of {choices}"
PARAMETER_TOO_LONG = "Invalid {param}: must be at most {max_length} characters"
PARAMETER_TOO_SMALL = "This value must be greater than or equal to {minimum}."
PARAMETER_TOO_LARGE = "This value must be less than or equal to {maximum}."
PARAMETER_TOO_MANY_ITEMS = "Invalid {param}: must contain at most {max_items} items"
PARAMETERS_EXCLUSIVE = "You may only specify one of these parameters: {params}."
EMAIL_INVALID = "Invalid email address: {value}"
NOT_UTF8 = "Invalid request body: it must be valid UTF-8 form-encoded data (application/x-www-form-urlencoded)."
CONFLICTING_PARAM_FORMS = "Invalid {param}: it was sent both as a value and as a hash or array."
TOO_MANY_PARAMS = "Invalid request: too many parameters (at most {maximum})."

METADATA_TOO_MANY_KEYS = "Invalid metadata: metadata can have at most {maximum} keys, but you passed in {count}."
METADATA_KEY_TOO_LONG = (
    "Metadata keys can have up to {maximum} characters, but you passed in a key that is {length} characters. "
    "Invalid key: {key}"
)
METADATA_VALUE_TOO_LONG = (
    "Metadata values can have up to {maximum} characters, but you passed in a value that is {length} characters. "
    "Invalid value: {value}"
)
METADATA_VALUE_NOT_STRING = "Invalid metadata[{key}]: metadata values must be strings"

RESOURCE_MISSING = "No such {noun}: '{id}'"
UNRECOGNIZED_URL = (
    "Unrecognized request URL ({method}: {path}). Please see https://docs.stripe.com/api or we can help at "
    "https://support.stripe.com/."
)

API_KEY_MISSING = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer "
    "auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://docs.stripe.com/api#authentication for "
    "details, or we can help at https://support.stripe.com/."
)
API_KEY_INVALID = "Invalid API Key provided: {masked}"
API_KEY_LIVE = (
    "Live-mode API keys are never accepted by stripe-fc-emulator (you sent {masked}). The emulator only runs test "
    "mode: use a test key such as sk_test_... ; the key was not stored."
)
SECRET_KEY_REQUIRED = (
    "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of "
    "your API keys at https://dashboard.stripe.com/account/apikeys."
)

VERSION_INVALID = (
    "Invalid Stripe API version: {version}. Versions look like 2026-10-28.endive or 2026-09-30.preview, "
    "optionally followed by beta flags such as '; financial_connections_relink_api_beta=v1'."
)

IDEMPOTENCY_MISMATCH = (
    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a "
    "key other than '{key}' if you meant to execute a different request."
)
IDEMPOTENCY_IN_USE = (
    "There is currently another in-progress request using this Idempotent Key (that probably means you submitted "
    "twice, and the other request is still going through): {key}. Please try again later."
)
IDEMPOTENCY_KEY_TOO_LONG = "Idempotency keys can be at most {maximum} characters long. Invalid key: {key}"

EXPAND_TOO_DEEP = "You cannot expand more than {maximum} levels of a property. Property: {path}"
EXPAND_UNEXPANDABLE = "This property cannot be expanded ({field})."

INTERNAL_ERROR = (
    "An unexpected error occurred in stripe-fc-emulator while handling request {request_id}. This is a bug in the "
    "emulator: the traceback is in the server log."
)

CONTROL_TOKEN_MISSING = (
    "This emulator runs with --control-token: send it in the Emulator-Control-Token header to use /_emulator/ and "
    "/v1/test_helpers/."
)
CONTROL_TOKEN_INVALID = "The Emulator-Control-Token sent does not match the emulator's --control-token."

HOST_NOT_ALLOWED = ("This emulator does not answer to the host {host!r}. It answers to loopback names (127.0.0.1, "
                    "localhost, [::1]); start it with --allowed-host NAME to answer to another name.")
CROSS_NAMESPACE_NEEDS_TOKEN = ("{what} reaches every namespace, so it needs the control token: start the emulator "
                               "with --control-token TOKEN (or STRIPE_FC_EMULATOR_CONTROL_TOKEN) and send it in the "
                               "Emulator-Control-Token header.")
URL_INVALID = "Not a valid URL"
