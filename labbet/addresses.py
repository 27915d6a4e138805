"""Where a request comes from: the client's address (behind our own proxy, too), the network
a phone is counted under, and the address django-axes counts sign-in failures under. Read by
the abuse limits (labbet/limits.py) and by the join (workshops/access.py)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the nearest X-Forwarded-For entry only when a
    reverse proxy we run sets it (settings.TRUSTED_PROXY)."""
    if getattr(settings, "TRUSTED_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            # Our proxy appends the address it saw last: that one cannot be forged.
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def network_of(address: str) -> str:
    """A phone's network as stored on its participant: a keyed hash of the address, enough
    to count and compare, never the address (which is personal data)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def signin_address(request: HttpRequest) -> str | None:
    """The address django-axes counts sign-in failures under (AXES_CLIENT_IP_CALLABLE): the
    client's, when it is one (axes stores it in an IP column; a test request has none)."""
    address = client_address(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address
