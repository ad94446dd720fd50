"""The web app's edge: one ASGI middleware around everything.

It checks the ``Host`` header (:class:`HostPolicy`), adds the security and cache headers to
every answer (errors included), answers ``HEAD`` like ``GET`` without the body, and turns
any unexpected exception into a JSON 500 on the API or a French error page.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi.responses import JSONResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOG = logging.getLogger("seedsearch.web")

# Host names always accepted besides IP literals (which DNS rebinding cannot use).
LOOPBACK_NAMES = ("localhost",)
# Answers under these paths are files that may be cached; everything else is not stored.
CACHEABLE = ("/static/", "/docs/assets/")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class HostPolicy:
    """Which ``Host`` headers are answered: a page of another site whose name was made to
    point at this server (DNS rebinding) is refused, since its name is not in the list."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        given = {n.strip().lower().rstrip(".") for n in names if n.strip()}
        self.any = "*" in given
        self.names = frozenset(given | set(LOOPBACK_NAMES))

    def allows(self, host: str | None) -> bool:
        if self.any or host is None:  # no Host header: no browser sent it
            return True
        name = host.strip().lower()
        if name.startswith("["):  # [::1]:8000
            name = name[1 : name.find("]")] if "]" in name else name[1:]
        elif name.count(":") == 1:
            name = name.split(":", 1)[0]
        name = name.rstrip(".")
        if name in self.names:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True


def _security_headers(headers: MutableHeaders, path: str) -> None:
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    if not path.startswith(CACHEABLE) and "cache-control" not in headers:
        # Results change with each index generation, and pages carry the query.
        headers["Cache-Control"] = "no-store"


class EdgeMiddleware:
    """The outermost layer of the app (see the module docstring)."""

    def __init__(self, app: ASGIApp, hosts: HostPolicy, error_page: Any) -> None:
        self.app = app
        self.hosts = hosts
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        started = False

        async def send_guarded(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                _security_headers(MutableHeaders(scope=message), path)
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        if not self.hosts.allows(host):
            response: Response = _error_response(
                400, "bad_host", f"host {host!r} is not served here (see --allowed-host)"
            )
            await response(scope, receive, send_guarded)
            return
        try:
            await self.app(scope, receive, send_guarded)
        except Exception:
            LOG.exception("unexpected error answering %s", path)
            if started:  # too late to change the answer: the server drops the connection
                raise
            if _wants_html_path(path):
                response = self.error_page(500, "Erreur interne du serveur.")
            else:
                response = _error_response(500, "internal_error", "internal server error")
            await response(scope, receive, send_guarded)


def _error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def _wants_html_path(path: str) -> bool:
    return not path.startswith(("/api/", "/healthz", "/openapi"))
