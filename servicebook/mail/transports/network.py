"""Telling "never connected" from "the connection died": only the second may have delivered.

requests, urllib3 and exchangelib wrap the socket error several times over; the error that
happened first is found by walking the chain of causes.
"""

from __future__ import annotations

import socket
import ssl

# Raised before any byte of a request reached the server.
_BEFORE_CONNECTING = (ConnectionRefusedError, socket.gaierror, ssl.SSLError)


def _chain(error: BaseException | None):
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        reason = getattr(error, "reason", None)
        if isinstance(reason, BaseException):
            yield from _chain(reason)
        nested = [a for a in getattr(error, "args", ()) if isinstance(a, BaseException)]
        for inner in nested:
            yield from _chain(inner)
        error = error.__cause__ or error.__context__


def never_connected(error: BaseException) -> bool:
    """True when the request certainly never reached the server: refused, unknown host, TLS
    handshake, or a connect timeout."""
    import requests
    import urllib3.exceptions

    for found in _chain(error):
        if isinstance(found, (*_BEFORE_CONNECTING, requests.exceptions.ConnectTimeout,
                              requests.exceptions.SSLError, urllib3.exceptions.NewConnectionError,
                              urllib3.exceptions.ConnectTimeoutError)):
            return True
    return False
