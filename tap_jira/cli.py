"""Console entry point: the SDK's CLI, with failures the user can fix shown as one line."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from .errors import ConfigError, TapJiraError
from .tap import TapJira


def main() -> None:
    try:
        TapJira.cli()
    except ConfigError as error:
        _fail(str(error), code=2)
    except (TapJiraError, FatalAPIError, RetriableAPIError) as error:
        _fail(str(error))
    except requests.exceptions.RequestException as error:
        host = urlsplit(error.request.url or "").netloc if error.request is not None else "Jira"
        _fail(f"cannot reach {host} ({type(error).__name__}): check `base_url` (and `api_gateway_url` "
              "with OAuth 2.0 or `cloud_id`) and the network")


def _fail(message: str, code: int = 1) -> None:
    sys.stdout.flush()  # whatever was emitted stays emitted
    print(f"tap-jira: error: {' '.join(message.split())}", file=sys.stderr, flush=True)
    sys.exit(code)
