"""Headers every answer carries, and the Content-Security-Policy of the HTML ones.

The pages are server-rendered and run no script: their policy allows none, only inline styles
(the dashboard's `<style>` and its progress bars' `style="width: …"`, which a nonce cannot
cover). A page that needs another policy sets its own, and it is kept: GraphiQL, a plan's page,
which runs the tracker's own /static/plan-live.js and reaches /graphql (tracker/web/pages/plan.py),
and the embeds (`EMBED_POLICY`), the only pages another site may frame. X-Frame-Options, which
can only refuse, goes with every policy but one that names frame-ancestors other than 'none'.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Cards for an iframe on a collectivity's own site, whatever that site is: framed by any page,
# styled by the tracker's own stylesheet only (the card's bar is a <progress>, not a style=).
EMBED_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *"
)
FRAMED_NOWHERE = b"frame-ancestors 'none'"
EVERY_ANSWER = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
POLICY = (b"content-security-policy", PAGE_POLICY.encode())
# For browsers older than CSP's frame-ancestors.
NOT_FRAMED = (b"x-frame-options", b"DENY")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                html = any(
                    name.lower() == b"content-type" and value.startswith(b"text/html") for name, value in headers
                )
                own = [value for name, value in headers if name.lower() == POLICY[0]]
                # Refused unless a page's own policy names who may frame it.
                framed_nowhere = not own or b"frame-ancestors" not in own[0] or FRAMED_NOWHERE in own[0]
                html_answer = (POLICY, *((NOT_FRAMED,) if framed_nowhere else ())) if html else ()
                for name, value in (*EVERY_ANSWER, *html_answer):
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)
