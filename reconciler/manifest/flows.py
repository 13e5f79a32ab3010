"""Flow URLs: the form exoplan sends, and the app id hidden in any form Exotel returns."""

from __future__ import annotations

import re
from functools import lru_cache

from reconciler.records import NumberRecord

# Exotel answers with several shapes of one flow URL: other hosts, schemes, with or
# without the account segment, start_voice/start_sms or plain start. Only the app id
# identifies the flow, so URLs are compared through it.
_APP_ID = re.compile(r"/exoml/(?:start_voice|start_sms|start)/([A-Za-z0-9_-]+)/?(?:[?#].*)?$")

KINDS = {"voice_flow": "start_voice", "sms_flow": "start_sms"}
PARAMS = {"voice_flow": "VoiceUrl", "sms_flow": "SMSUrl"}
STATE_KEYS = {"voice_flow": "voice_url", "sms_flow": "sms_url"}


def held_url(record: NumberRecord, field: str) -> str | None:
    """The flow URL ``record`` holds for ``field`` (voice_flow or sms_flow)."""
    return record.get("voice_url") if field == "voice_flow" else record.get("sms_url")


#: Where flow URLs point unless the manifest's ``account.flow_host`` says otherwise.
DEFAULT_FLOW_HOST = "my.exotel.com"


def flow_url(account_sid: str, field: str, app_id: str, host: str = DEFAULT_FLOW_HOST) -> str:
    """The URL sent to Exotel for ``field`` (voice_flow or sms_flow) on ``host``."""
    return f"http://{host}/{account_sid}/exoml/{KINDS[field]}/{app_id}"


def app_id_of(url: str | None) -> str | None:
    """The app id in a flow URL, or None when the URL carries none."""
    if not url:
        return None
    match = _APP_ID.search(url)
    return match.group(1) if match else None


@lru_cache(maxsize=4096)  # an account points its numbers at a handful of flows
def flow_key(url: str | None) -> str | None:
    """What two URLs are compared by: the app id when there is one, else the URL."""
    if not url:
        return None
    return app_id_of(url) or url
