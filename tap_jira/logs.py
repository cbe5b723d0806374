"""What reaches the log: never a secret, and no alarm that is not true.

Redaction works on every record of every logger (a LogRecord factory), whatever
handlers the SDK or a user's `SINGER_SDK_LOG_CONFIG` sets up: the configured secrets
and the tokens minted at run time are replaced, and so is anything shaped like an
`Authorization` header or an OAuth parameter, which requests-oauthlib, oauthlib and
urllib3 print at DEBUG.  No logging library offers this, so it is written here.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from typing import Any

from singer_sdk.exceptions import AbortedSyncFailedException, AbortedSyncPausedException, MaxRecordsLimitException

REDACTED = "<redacted>"
# Shorter values are too likely to match ordinary text (and are weak secrets anyway).
MIN_SECRET_LENGTH = 6
_PATTERNS = [
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)([^'\"\r\n]+)"),
    re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)\b(oauth_(?:signature|token|token_secret|verifier|nonce)['\"]?\s*[=:]\s*['\"]?)[^'\"&,\s]+"),
    re.compile(r"(?i)\b((?:access_token|refresh_token|client_secret|password|api_token)['\"]?\s*[=:]\s*['\"]?)"
               r"[^'\"&,\s}]+"),
]
_secrets: set[str] = set()
_lock = threading.Lock()


def redact_value(value: Any) -> None:
    """Never log `value` from now on (a configured secret, a token minted at run time)."""
    if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)
            for line in value.splitlines():  # a PEM key: each line on its own
                if len(line.strip()) >= MIN_SECRET_LENGTH * 4:
                    _secrets.add(line.strip())


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(_keep_prefix, text)
    return text


def _keep_prefix(match: re.Match[str]) -> str:
    if match.re is _PATTERNS[1]:
        return f"{match.group(1)}{match.group(2)}{REDACTED}"
    return f"{match.group(1)}{REDACTED}"


def install() -> None:
    """Redact every log record from here on; quiet the OAuth libraries' signing traces."""
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to logging's own error path
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)
    # Their DEBUG lines are the signature base string, the signed headers and token
    # bodies: nothing a user needs, and the redaction above is the second line of defence.
    for name in ("oauthlib", "requests_oauthlib"):
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("singer_sdk").addFilter(_resumable_streams)
    logging.getLogger("tap-jira").addFilter(_stream_wiring)


def _stream_wiring(record: logging.LogRecord) -> bool:
    """The SDK's "Added 'x' as child stream to 'y'", one line per child stream at every
    start: kept at DEBUG only (the README's streams table says what feeds what)."""
    if str(record.msg).startswith("Added '") and "as child stream" in str(record.msg):
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
    return True


def _resumable_streams(record: logging.LogRecord) -> bool:
    """The SDK warns that an unsorted incremental stream cannot resume; the child streams
    resume from `issues_searched_until`, which the tap keeps next to their bookmarks."""
    return not str(record.msg).startswith("Stream is assumed to be unsorted")


def quiet_aborted_syncs(record: logging.LogRecord) -> bool:
    """`--test` stops each stream after one record by raising; the SDK logs that as an
    ERROR although the stream worked.  (The exception is being handled while it logs.)"""
    if str(record.msg).startswith("An unhandled error occurred while syncing"):
        return not isinstance(sys.exc_info()[1], (AbortedSyncFailedException, AbortedSyncPausedException,
                                                  MaxRecordsLimitException))
    return True


class FirstPartitionOnly(logging.Filter):
    """The SDK logs "Beginning sync of ..." (and the incremental start) for every partition:
    every board's sprints, every batch of issues' children. Keep each stream's first; the
    rest only at DEBUG."""

    REPEATED = ("Beginning sync of '", "Starting incremental sync of '")

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        repeated = next((prefix for prefix in self.REPEATED if message.startswith(prefix)), None)
        if repeated is None or logging.getLogger().isEnabledFor(logging.DEBUG):
            return True
        first = repeated not in self.seen
        self.seen.add(repeated)
        return first
