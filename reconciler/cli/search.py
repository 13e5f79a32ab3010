"""``exoplan search``: what Exotel has for sale, by country, type, circle, digits, SMS.

The account and API region come from ``--account-sid``/``--api-region`` or else from
``-f``'s manifest; the criteria are checked by the parser before any request.
"""

from __future__ import annotations

import argparse
import sys

from reconciler.exotel.factory import ClientFactory
from reconciler.manifest.load import load_manifest
from reconciler.model import Criteria
from reconciler.render.search import render_search


def run_search(args: argparse.Namespace) -> int:
    criteria = Criteria(args.country, args.number_type, args.region, args.contains, args.sms)
    with _factory(args) as factory:
        found = factory.client().search_available(criteria)
    render_search(found, args.format, sys.stdout)
    return 0


def _factory(args: argparse.Namespace) -> ClientFactory:
    """A client factory for the account named by flags, or else by the manifest."""
    if args.account_sid:
        return ClientFactory(
            args.account_sid,
            args.api_region or "singapore",
            default_country=args.country,
            rate_limit=args.rate_limit,
            read_rate_limit=args.read_rate_limit,
            timeout=args.timeout,
        )
    manifest = load_manifest(args.manifest)  # a missing one: an error naming -f
    return ClientFactory(
        manifest.account.sid,
        args.api_region or manifest.account.region,
        default_country=args.country,
        rate_limit=args.rate_limit,
        read_rate_limit=args.read_rate_limit,
        timeout=args.timeout,
        key_env=manifest.account.key_env,
        token_env=manifest.account.token_env,
    )
