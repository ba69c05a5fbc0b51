"""Structured logs (structlog): one event per line, request id bound from context."""

import logging
import sys

import structlog


class _CurrentStderr:
    """Writes to sys.stderr as it is at each line, not as it was when logging was configured:
    loggers are cached on first use, and a stream swapped out since (test capture, a daemon's
    redirect) would be closed, making every log call raise inside the caller."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    processors = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=getattr(logging, level), stream=_CurrentStderr(), format="%(levelname)s %(name)s %(message)s")
    # Piccolo announces the SQLite version on every new engine: noise, not news.
    logging.getLogger("piccolo").setLevel(logging.WARNING)
