"""Bearer tokens, or a person's session cookie on the pages, checked once per request before any
route (Starlette's authentication)."""

from __future__ import annotations

from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
from starlette.requests import HTTPConnection
from starlette.responses import Response

from tracker.access import ANONYMOUS, Principal
from tracker.errors import ErrorCode, Unauthenticated
from tracker.services.tokens import Tokens
from tracker.web.json_errors import error_response
from tracker.web.sessions import SessionPeople


class PrincipalUser(BaseUser):
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return self.principal.is_authenticated

    @property
    def display_name(self) -> str:
        return self.principal.label


class BearerTokens(AuthenticationBackend):
    def __init__(self, tokens: Tokens, people: SessionPeople | None = None) -> None:
        self.tokens = tokens
        self.people = people

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if not header:
            principal = await self._person(conn)
            return AuthCredentials([principal.role.value.lower()] if principal else []), PrincipalUser(
                principal or ANONYMOUS
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("use Authorization: Bearer <token>")
        try:
            principal = await self.tokens.principal(token)
        except Unauthenticated as error:
            raise AuthenticationError(error.message) from None
        return AuthCredentials([principal.role.value.lower()]), PrincipalUser(principal)

    async def _person(self, conn: HTTPConnection) -> Principal | None:
        # The API answers bearer tokens only: a cookie, sent by the browser whatever page asks,
        # would let any site post mutations as the person (the pages' forms check CSRF tokens).
        if self.people is None or conn.scope["path"].startswith(API_PATHS):
            return None
        return await self.people.principal(conn)


API_PATHS = ("/graphql",)


def refuse(_conn: HTTPConnection, error: AuthenticationError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return error_response(401, str(error), ErrorCode.UNAUTHENTICATED.value, headers=headers)


def principal_of(conn: HTTPConnection) -> Principal:
    user = conn.scope.get("user")
    return user.principal if isinstance(user, PrincipalUser) else ANONYMOUS
