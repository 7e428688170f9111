"""Logging for every process (`tracker serve`, `tracker worker`), configured here and only here.

One record is one line (JSON objects with TRACKER_LOG_FORMAT=json), each with the id of the
request it belongs to ("-" outside requests), the id a response carries in `X-Request-Id`.
Tracebacks are bounded: a failure repeated by a client must not fill a disk.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import TextIO

from asgi_correlation_id import CorrelationIdFilter
from pythonjsonlogger.json import JsonFormatter

from tracker.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "correlation_id")
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger", "correlation_id": "request_id"}
# A traceback is cut in its middle beyond this: its start says where, its end what failed.
MAX_TRACEBACK_CHARS = 8000

# Loggers of libraries whose level is ours to decide.
LEVELS = {
    # A malformed incoming X-Request-Id is the client's doing: it is replaced, nothing to repair.
    "asgi_correlation_id": logging.ERROR,
}

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def bounded(text: str, limit: int = MAX_TRACEBACK_CHARS) -> str:
    if len(text) <= limit:
        return text
    head, tail = limit // 4, limit - limit // 4
    return f"{text[:head]}\n[... {len(text) - limit} characters cut ...]\n{text[-tail:]}"


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # Another handler may have formatted the record first and kept its whole traceback.
        if record.exc_text:
            record.exc_text = bounded(record.exc_text)
        return super().format(record)

    def formatException(self, ei: ExcInfo) -> str:
        return bounded(super().formatException(ei))


class JsonLinesFormatter(JsonFormatter):
    def formatException(self, ei: ExcInfo) -> str:
        formatted = super().formatException(ei)  # a list only with exc_info_as_array, not used here
        return bounded(formatted if isinstance(formatted, str) else "\n".join(formatted))


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonLinesFormatter(list(JSON_FIELDS), rename_fields=JSON_NAMES, json_ensure_ascii=False)
    return TextFormatter(TEXT_FORMAT)


def handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """The one handler: the settings' format, the request id on every record."""
    made = logging.StreamHandler(stream if stream is not None else sys.stderr)
    made.addFilter(CorrelationIdFilter(default_value="-"))
    made.setFormatter(formatter(settings.log_format))
    made.set_name("tracker")
    return made


def configure(settings: Settings, *, stream: TextIO | None = None) -> logging.Handler:
    """Send every logger's records through the one handler (replacing it when called again).

    uvicorn is run with `log_config=None`: its loggers, the access log included, propagate here."""
    root = logging.getLogger()
    for old in [existing for existing in root.handlers if existing.get_name() == "tracker"]:
        root.removeHandler(old)
        old.close()
    made = handler(settings, stream)
    root.addHandler(made)
    root.setLevel(settings.log_level)
    for name, level in LEVELS.items():
        logging.getLogger(name).setLevel(level)
    return made
