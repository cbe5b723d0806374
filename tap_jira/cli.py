"""Console entry point: the SDK's CLI, with failures the user can fix shown as one line."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from . import logs, shapes, signals, state_file
from .api.answers import RECURSION_LIMIT
from .errors import ConfigError, StateError, TapJiraError
from .memory import tune_allocator
from .tap import TapJira

# Files the SDK reads as JSON, and what to call them in an error.
JSON_ARGUMENTS = {"--config": "config", "--state": "state", "--catalog": "catalog"}


def main() -> None:
    tune_allocator()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    logs.install()
    signals.install()
    argv = sys.argv[1:]
    try:
        check_json_files(argv)
        TapJira.cli()
    except StateError as error:
        _fail(f"the state file {_argument(argv, '--state') or '(none)'}: {error}", code=2)
    except ConfigError as error:
        _fail(str(error), code=2)
    except (TapJiraError, FatalAPIError, RetriableAPIError) as error:
        _fail(str(error))
    except requests.exceptions.SSLError as error:
        host = urlsplit(error.request.url or "").netloc if error.request is not None else "Jira"
        _fail(f"the TLS certificate of {host} is not trusted: if a company CA signs it, point config key "
              "`ca_bundle` (or REQUESTS_CA_BUNDLE) at that CA's PEM file")
    except requests.exceptions.RequestException as error:
        host = urlsplit(error.request.url or "").netloc if error.request is not None else "Jira"
        _fail(f"cannot reach {host} ({type(error).__name__}): check `base_url` (and `api_gateway_url` "
              "with OAuth 2.0 or `cloud_id`) and the network")
    except Exception as error:  # the last resort: one line still, the traceback at DEBUG
        logging.getLogger("tap-jira").debug("Unexpected failure", exc_info=True)
        _fail(f"unexpected {type(error).__name__}: {error} (run with TAP_JIRA_LOGLEVEL=DEBUG for the "
              "traceback, and please report it)")


def check_json_files(argv: list[str]) -> None:
    """A malformed file gets one line naming it, not the SDK's JSON traceback."""
    for flag, value in zip(argv, argv[1:], strict=False):
        what = JSON_ARGUMENTS.get(flag)
        if what is None or (flag == "--config" and value == "ENV"):
            continue
        try:
            # NaN and Infinity are not JSON, though Python's parser takes them.
            content = json.loads(Path(value).read_text(), parse_constant=_refuse_constant)
        except OSError as error:
            raise ConfigError(f"cannot read the {what} file {value} ({error.strerror})") from None
        except RecursionError:
            raise ConfigError(f"the {what} file {value} nests deeper than any {what} does") from None
        except _NotJson as error:
            raise ConfigError(f"the {what} file {value} holds {error}, which is not JSON: write a number") from None
        except ValueError as error:
            # The position only: the text around it may be a secret.
            where = f"line {error.lineno} column {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
            raise ConfigError(f"the {what} file {value} is not valid JSON ({where})") from None
        if what == "state":
            state_file.check(content)  # names the value at fault; main() adds the file
        elif not isinstance(content, dict):
            raise ConfigError(f"the {what} file {value} must hold a JSON object, not {shapes.kind(content)}")
        elif what == "catalog":
            problem = shapes.catalog_problem(content)
            if problem:
                raise ConfigError(f"the catalog file {value}: {problem}; run discovery again")


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


def _argument(argv: list[str], flag: str) -> str | None:
    return next((value for option, value in zip(argv, argv[1:], strict=False) if option == flag), None)


def _fail(message: str, code: int = 1) -> None:
    sys.stdout.flush()  # whatever was emitted stays emitted
    # Jira or a proxy may echo a credential in its error body: redact as the logs do.
    print(f"tap-jira: error: {' '.join(logs.redact(message).split())}", file=sys.stderr, flush=True)
    # Not sys.exit: it would wait for worker threads, which may sleep in a retry wait.
    os._exit(code)
