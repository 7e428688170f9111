"""Headers every answer carries, and the Content-Security-Policy of the HTML ones.

The pages are server-rendered and run no script: their policy allows none, only inline styles
(the dashboard's `<style>` and its progress bars' `style="width: …"`, which a nonce cannot
cover). A page that needs another policy (GraphiQL) sets its own, and it is kept.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
EVERY_ANSWER = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
HTML_ANSWER = {
    "content-security-policy": PAGE_POLICY,
    # For browsers older than CSP's frame-ancestors.
    "x-frame-options": "DENY",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                added = dict(EVERY_ANSWER)
                if headers.get("content-type", "").startswith("text/html"):
                    added.update(HTML_ANSWER)
                for name, value in added.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, sending)
