"""Bearer tokens checked once per request, before any route (Starlette's authentication)."""

from __future__ import annotations

from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
from starlette.requests import HTTPConnection
from starlette.responses import Response

from tracker.access import ANONYMOUS, Principal
from tracker.errors import ErrorCode, Unauthenticated
from tracker.services.tokens import Tokens
from tracker.web.json_errors import error_response


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
    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if not header:
            return AuthCredentials(), PrincipalUser(ANONYMOUS)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("use Authorization: Bearer <token>")
        try:
            principal = await self.tokens.principal(token)
        except Unauthenticated as error:
            raise AuthenticationError(error.message) from None
        return AuthCredentials([principal.role.value.lower()]), PrincipalUser(principal)


def refuse(_conn: HTTPConnection, error: AuthenticationError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return error_response(401, str(error), ErrorCode.UNAUTHENTICATED.value, headers=headers)


def principal_of(conn: HTTPConnection) -> Principal:
    user = conn.scope.get("user")
    return user.principal if isinstance(user, PrincipalUser) else ANONYMOUS
