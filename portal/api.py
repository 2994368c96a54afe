"""How every endpoint under /api/ reads a JSON body and answers when it cannot.

DRF's own JSON parser reads a body of any size and hands ``json.loads`` whatever it got:
``'{"a":' * 5000`` overflows the interpreter's stack (RecursionError), and ``1e400`` becomes
``inf``, which an integer field or a primary-key lookup cannot convert (OverflowError). Both
ended as 500s. ``BoundedJSONParser`` refuses such bodies before any view sees them, with a
message a person can act on. It is the API's JSON parser for every view
(``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``).

``json_error`` is the body of Django's own error pages under /api/ (an unknown URL, a server
error): JSON, like every other API answer, never an HTML page.
"""

import json
import math
import re
from itertools import accumulate

from django.http import JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser, get_encoding

# Room for the longest text the API takes (a 10,000-character review, every character
# written as a \uXXXX escape pair: 120 kB) and its other fields, with margin.
MAX_BYTES = 256 * 1024
# Our bodies are objects of strings, numbers and lists of strings (depth 2); the margin
# leaves room for clients that wrap them, and is far below the interpreter's stack.
MAX_DEPTH = 32

# A JSON string, matched possessively so that no input makes the scan backtrack.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"The request body is larger than {MAX_BYTES} bytes."
    default_code = "body_too_large"


def nesting_depth(text):
    """How deeply arrays and objects nest in the JSON ``text`` (brackets inside strings do
    not count). Linear in the length of ``text``; meant to run before ``json.loads``."""
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(1 if char in "[{" else -1 for char in brackets), default=0)


def _finite_float(literal):
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(f"the number {literal} is too large")
    return number


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


class BoundedJSONParser(JSONParser):
    """DRF's JSONParser with limits: 413 for a body over ``MAX_BYTES`` (never read past
    that), 400 for nesting deeper than ``MAX_DEPTH``, for a number that is not finite
    (``1e400``, ``NaN``, ``Infinity``), for text not in the declared charset and for
    malformed JSON. Every refusal is a ``{"detail": ...}`` saying what was wrong."""

    def parse(self, stream, media_type=None, parser_context=None):
        # DRF's check: a text charset only (a codec such as bz2 would inflate the body).
        encoding = get_encoding(parser_context or {})
        raw = stream.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise BodyTooLarge()
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(f"The request body is not valid {encoding} text.") from None
        if nesting_depth(text) > MAX_DEPTH:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels is not accepted.")
        try:
            return json.loads(text, parse_float=_finite_float, parse_constant=_refuse_constant)
        except ValueError as error:  # JSONDecodeError, and the refusals above
            raise ParseError(f"JSON parse error - {error}") from None


def json_error(status_code, detail):
    """An API error answer as JSON: ``{"detail": detail}`` with ``status_code``."""
    return JsonResponse({"detail": detail}, status=status_code)


ERROR_SCHEMA = {
    "type": "object",
    "description": 'What was wrong: {"detail": "..."} for the request as a whole, or '
    '{"<field or parameter>": ["message", ...]} for each value refused.',
    "additionalProperties": True,
}


def document_client_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation may answer a 4xx error (a bad
    value, not signed in, not allowed, not found, too large, too many requests) with a JSON
    error body. An operation that documents a 4xx status of its own keeps that entry."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result["paths"].values():
        for operation in operations.values():
            operation["responses"].setdefault(
                "4XX",
                {
                    "description": "A client error; the body says what was wrong.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            )
    return result
