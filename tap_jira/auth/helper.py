"""`tap-jira-auth`: obtain the credentials the tap's OAuth modes need, once, interactively.

- ``tap-jira-auth oauth2``: Jira Cloud 3LO.  Prints the authorize URL, takes the
  pasted code (or the whole redirect URL), exchanges it, lists the sites the
  grant reaches, writes the token store and prints the config to add.
- ``tap-jira-auth oauth1``: a Server/Data Center application link.  Runs the
  request-token / authorize / access-token dance and prints the access token.

Secrets are read from the environment or a prompt, never from the command line
(where `ps` would show them).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import sys
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from .. import settings
from ..errors import ConfigError
from ..site import jira_sites, site_key
from . import private_key_pem
from .scopes import ADMIN_SCOPE, REQUESTED_SCOPES
from .token_store import TokenStore, default_path

DEFAULT_AUTHORIZE_URL = "https://auth.atlassian.com/authorize"
OAUTH1_SERVLET = "/plugins/servlet/oauth"


class HelperError(Exception):
    pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tap-jira-auth", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_subparsers(dest="mode", required=True)
    oauth2 = modes.add_parser("oauth2", help="Jira Cloud OAuth 2.0 (3LO): get a refresh token")
    oauth2.add_argument("--client-id", required=True)
    oauth2.add_argument("--redirect-uri", required=True, help="the callback URL registered for your app")
    oauth2.add_argument("--site", help="your site's URL, when the grant reaches several")
    oauth2.add_argument("--token-store-path", help="default: one file per client and site in your config directory")
    oauth2.add_argument("--authorize-url", default=DEFAULT_AUTHORIZE_URL)
    oauth2.add_argument("--token-url", default=settings.default("oauth_token_url"))
    oauth2.add_argument("--api-gateway-url", default=settings.default("api_gateway_url"))
    oauth2.add_argument("--admin", action="store_true",
                        help=f"also ask for {ADMIN_SCOPE} (an administrator's grant), which project_roles, "
                        "group_members and the custom field contexts and options need")
    oauth1 = modes.add_parser("oauth1", help="Server/Data Center OAuth 1.0a: get an access token")
    oauth1.add_argument("--base-url", required=True)
    oauth1.add_argument("--consumer-key", required=True)
    oauth1.add_argument("--private-key-path", required=True, help="PEM file; the link holds its public half")
    args = parser.parse_args(argv)
    try:
        run_oauth2(args) if args.mode == "oauth2" else run_oauth1(args)
    except (HelperError, ConfigError) as error:
        sys.exit(f"tap-jira-auth: error: {error}")
    except requests.RequestException as error:
        host = urlsplit(str(error.request.url)).netloc if error.request is not None else "the server"
        sys.exit(f"tap-jira-auth: error: cannot reach {host} ({type(error).__name__}): check the URLs given")


def _ask(prompt: str) -> str:
    print(prompt, end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip()
    if not answer:
        raise HelperError("nothing was entered")
    return answer


# ---- OAuth 2.0 (3LO) ------------------------------------------------------------------


def run_oauth2(args: argparse.Namespace) -> None:
    client_secret = os.environ.get("TAP_JIRA_CLIENT_SECRET") or getpass.getpass("Client secret: ")
    state = secrets.token_urlsafe(16)
    scopes = (*REQUESTED_SCOPES, ADMIN_SCOPE) if args.admin else REQUESTED_SCOPES
    query = {"audience": "api.atlassian.com", "client_id": args.client_id, "scope": " ".join(scopes),
             "redirect_uri": args.redirect_uri, "state": state, "response_type": "code", "prompt": "consent"}
    print(f"Open this URL, approve access, and paste the code (or the whole URL you are sent to):\n"
          f"{args.authorize_url}?{urlencode(query)}", file=sys.stderr, flush=True)
    code = _code_from(_ask("Code: "), state)
    tokens = _post_token(args.token_url, {"grant_type": "authorization_code", "client_id": args.client_id,
                                          "client_secret": client_secret, "code": code,
                                          "redirect_uri": args.redirect_uri})
    if "refresh_token" not in tokens:
        raise HelperError("no refresh token came back: the app must request the offline_access scope")
    site = _choose_site(args, tokens["access_token"])
    store = TokenStore(args.token_store_path or default_path(args.client_id, site["url"]))
    lifetime = float(tokens.get("expires_in") or 3600)
    with store.lock:
        store.save({"refresh_token": tokens["refresh_token"], "access_token": tokens["access_token"],
                    "refresh_at": time.time() + lifetime / 2, "scope": tokens.get("scope"), "retired": [],
                    "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    print(f"Saved the tokens to {store.path} (mode 0600). Add this to the tap's config "
          "(keep client_secret and refresh_token secret):", file=sys.stderr)
    print(json.dumps({"auth_type": "oauth2", "base_url": site["url"], "cloud_id": site["id"],
                      "client_id": args.client_id, "client_secret": "<your client secret>",
                      "refresh_token": tokens["refresh_token"], "token_store_path": str(store.path)}, indent=2))


def _code_from(answer: str, state: str) -> str:
    if "://" not in answer:
        return answer
    query = parse_qs(urlsplit(answer).query)
    if query.get("state", [state])[0] != state:
        raise HelperError("the redirect URL's state does not match this request: start again")
    if "code" not in query:
        raise HelperError(f"no code in that URL ({query.get('error', ['no error given'])[0]})")
    return query["code"][0]


def _post_token(url: str, payload: dict[str, str]) -> dict[str, Any]:
    response = requests.post(url, json=payload, timeout=60)
    if not response.ok:
        try:
            body = response.json()
        except ValueError:
            body = {}
        reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
        raise HelperError(f"the token endpoint refused the code ({reason}); check --client-id, the client "
                          "secret and --redirect-uri, and use a fresh code")
    return response.json()


def _choose_site(args: argparse.Namespace, access_token: str) -> dict[str, Any]:
    response = requests.get(f"{args.api_gateway_url.rstrip('/')}/oauth/token/accessible-resources",
                            headers={"Authorization": f"Bearer {access_token}"}, timeout=60)
    response.raise_for_status()
    sites = jira_sites(response.json())
    print("Jira sites this grant reaches:", file=sys.stderr)
    for site in sites:
        print(f"  {site.get('name')}  {site.get('url')}  (cloud id {site.get('id')})", file=sys.stderr)
    if args.site:
        chosen = [site for site in sites if site_key(site.get("url", "")) == site_key(args.site)]
    else:
        chosen = sites if len(sites) == 1 else []
    if not chosen:
        raise HelperError("pass --site with one of the URLs above" if sites else "the grant reaches no Jira site")
    return chosen[0]


# ---- OAuth 1.0a (Server / Data Center) --------------------------------------------------


def run_oauth1(args: argparse.Namespace) -> None:
    from oauthlib.oauth1 import SIGNATURE_RSA
    from requests_oauthlib import OAuth1Session
    from requests_oauthlib.oauth1_session import TokenRequestDenied

    private_key = private_key_pem({"private_key_path": args.private_key_path})
    base = args.base_url.rstrip("/")
    session = OAuth1Session(args.consumer_key, signature_method=SIGNATURE_RSA, rsa_key=private_key,
                            callback_uri="oob")
    try:
        session.fetch_request_token(f"{base}{OAUTH1_SERVLET}/request-token")
        print(f"Open this URL, allow access, and paste the verification code Jira shows:\n"
              f"{session.authorization_url(f'{base}{OAUTH1_SERVLET}/authorize')}", file=sys.stderr, flush=True)
        verifier = _ask("Verification code: ")
        tokens = session.fetch_access_token(f"{base}{OAUTH1_SERVLET}/access-token", verifier=verifier)
    except TokenRequestDenied as error:
        raise HelperError(f"Jira refused the OAuth 1.0a request (HTTP {error.status_code}): check --consumer-key "
                          "and that the application link holds this key's public half") from None
    print("Add this to the tap's config:", file=sys.stderr)
    print(json.dumps({"auth_type": "oauth1", "base_url": base, "consumer_key": args.consumer_key,
                      "private_key_path": args.private_key_path, "access_token": tokens["oauth_token"]}, indent=2))


if __name__ == "__main__":
    main()
