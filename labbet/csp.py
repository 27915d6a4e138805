"""The Content-Security-Policy (settings.CONTENT_SECURITY_POLICY), with two per-request parts
django-csp cannot express in settings:

- connect-src names the workshop socket's own address (ws://host or wss://host). CSP Level 3
  lets 'self' match ws:/wss: on the same host, and Chromium and Firefox do; older Safari does
  not, and a phone on a venue's wifi may be old.
- A page that may be framed by its own site (X-Frame-Options: SAMEORIGIN, set by
  @xframe_options_sameorigin: the console's projector preview) gets frame-ancestors 'self'
  instead of 'none', so that one decorator stays the single place that decides it.
"""

from __future__ import annotations

from csp.constants import SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update = dict(parts.update or {})
        try:
            host = request.get_host()
        except DisallowedHost:
            host = ""
        if host:
            sockets = (
                [f"wss://{host}"] if request.is_secure() else [f"ws://{host}", f"wss://{host}"]
            )
            update["connect-src"] = [*update.get("connect-src", []), *sockets]
        replace = dict(parts.replace or {})
        if response.get("X-Frame-Options", "").upper() == "SAMEORIGIN":
            replace["frame-ancestors"] = [SELF]
        parts.update = update or None
        parts.replace = replace or None
        return parts
