"""Security headers on every answer the app gives: pages, error pages (400, 404, 500 and the static 503),
the API, downloads and static files.

- ``Content-Security-Policy``: scripts, styles, images and fetches only from this app's own files, nothing
  inline (the templates have no ``<script>`` blocks, ``on…=`` handlers, ``style=`` attributes or ``<style>``
  blocks: static/js and static/css hold them), no plugins, no ``<base>``, forms post only here, and no other
  site may show a page in a frame (``frame-ancestors 'none'``; ``X-Frame-Options: DENY`` for older browsers).
- ``X-Content-Type-Options: nosniff``: a download is what its type says (an uploaded roster is never served).
- ``Referrer-Policy: same-origin``: a link to a policy document's site does not tell it which budget was open.
- ``Strict-Transport-Security`` only on a request that came over HTTPS (``request.is_secure``: behind a proxy,
  as ``COSTING_PROXY_HOPS`` lets ProxyFix read ``X-Forwarded-Proto``); over plain HTTP it would mean nothing.
- ``Cache-Control: no-store`` on everything but static files: pages show budgets, salaries and the signed-in
  user, and forms carry the session's CSRF token; neither a shared cache nor the browser's disk keeps them.
  Static files keep Flask's own caching (revalidated with their ETag).

The annex templates (templates/annex) are rendered to PDF by WeasyPrint and never served, so their styles stay.
"""
from __future__ import annotations

from flask import request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=31536000"           # one year; subdomains are left to the site (they may be other services)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def is_static(path: str) -> bool:
    return path.startswith("/static/")


def secure(response):
    """Add the headers to one response (an ``after_request`` function: error pages pass through it too)."""
    for name, value in HEADERS.items():
        response.headers[name] = value
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    if not is_static(request.path):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        response.headers.pop("Pragma", None)
    return response


def init_app(app) -> None:
    app.after_request(secure)
