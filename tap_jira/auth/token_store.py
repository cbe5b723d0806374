"""Where the newest OAuth 2.0 refresh token lives between runs.

Atlassian rotates refresh tokens: each refresh returns a new one and retires the
one sent (after a short leeway).  Meltano writes a fresh temporary config file
for every run, so the config cannot hold the newest token; this file does.

Writes are atomic (temp file, fsync, rename) with mode 0600, and a lock file
serialises whole refreshes, so two runs sharing a store never both spend the
same refresh token nor leave a half-written file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import platformdirs
from filelock import FileLock, Timeout

from ..errors import ConfigError

# How many retired refresh tokens the store remembers (as hashes), to tell a
# config holding an old token from one holding a newly issued one.
REMEMBERED_TOKENS = 20


def fingerprint(token: str) -> str:
    """A one-way digest: lets the store recognise a token without keeping it."""
    return hashlib.sha256(token.encode()).hexdigest()


def default_path(client_id: str, base_url: str) -> Path:
    key = fingerprint(f"{client_id}\n{base_url.rstrip('/').lower()}")[:16]
    return Path(platformdirs.user_config_dir("tap-jira")) / f"oauth2-{key}.json"


# A lock held longer than this is a run stuck mid-refresh (or a lock file that can never
# be taken): fail with one line instead of waiting for ever.
LOCK_TIMEOUT_SECONDS = 60


class TokenStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self.lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS)

    def check_writable(self) -> None:
        """Fail now, with the key to fix, if the store could not be locked or written:
        after a refresh the old refresh token is spent, and the new one must be saved."""
        problem = None
        if self.path.is_dir():
            problem = "is a directory; name a file"
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                handle, probe = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name + ".", suffix=".probe")
                os.close(handle)
                os.unlink(probe)
                with self.lock.acquire(timeout=LOCK_TIMEOUT_SECONDS):
                    pass
            except Timeout:
                problem = f"stays locked by {self.lock.lock_file} for over {LOCK_TIMEOUT_SECONDS} s"
            except OSError as error:
                problem = f"cannot be written ({error.strerror or type(error).__name__})"
        if problem:
            raise ConfigError(f"config key `token_store_path`: {self.path} {problem}; the rotated OAuth 2.0 "
                              "refresh token must be kept there (nothing was refreshed)")

    def load(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            # A damaged store must not block the run: the config's token may still work.
            raise StoreError(f"token store {self.path} is unreadable ({type(error).__name__})") from None

    def save(self, tokens: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temp_name = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name + ".", suffix=".tmp")
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w") as temp:
                json.dump(tokens, temp)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        _fsync_directory(self.path.parent)  # the rename itself survives a crash


class StoreError(Exception):
    pass


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
