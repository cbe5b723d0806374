"""Console entry point: the SDK's CLI, with failures the user can fix shown as one line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from .errors import ConfigError, TapJiraError
from .memory import tune_allocator
from .tap import TapJira


# Files the SDK reads as JSON, and what to call them in an error.
JSON_ARGUMENTS = {"--config": "config", "--state": "state", "--catalog": "catalog"}


def main() -> None:
    tune_allocator()
    try:
        check_json_files(sys.argv[1:])
        TapJira.cli()
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


def check_json_files(argv: list[str]) -> None:
    """A malformed file gets one line naming it, not the SDK's JSON traceback."""
    for flag, value in zip(argv, argv[1:]):
        what = JSON_ARGUMENTS.get(flag)
        if what is None or (flag == "--config" and value == "ENV"):
            continue
        try:
            json.loads(Path(value).read_text())
        except OSError as error:
            raise ConfigError(f"cannot read the {what} file {value} ({error.strerror})") from None
        except ValueError as error:
            # The position only: the text around it may be a secret.
            where = f"line {error.lineno} column {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
            raise ConfigError(f"the {what} file {value} is not valid JSON ({where})") from None


def _fail(message: str, code: int = 1) -> None:
    sys.stdout.flush()  # whatever was emitted stays emitted
    print(f"tap-jira: error: {' '.join(message.split())}", file=sys.stderr, flush=True)
    sys.exit(code)
