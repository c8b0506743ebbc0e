"""The only way a PDF render can read anything: files inside the app's own static/ folder.

Everything else aborts the render with a clear error: http(s), data:, file:// elsewhere, and any path
that leaves static/ after decoding (%2e%2e) and resolving links. User text in an annex therefore
cannot pull a local file or a network request into the PDF.
"""
from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import URLFetcher
from weasyprint.urls import FatalURLFetchingError, URLFetcherResponse

from ..paths import ROOT

STATIC = (ROOT / "static").resolve()


class RefusedURL(FatalURLFetchingError):
    """A render asked for something outside the app's static files."""

    def __init__(self, url: str, why: str):
        self.url, self.why = url, why
        super().__init__(f"拒绝加载 {url[:200]}：{why}")


def static_path(url: str) -> Path:
    """The file under static/ a file:// URL names, or RefusedURL."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        raise RefusedURL(url, "只允许读取本应用 static 目录中的文件")
    if parts.netloc not in ("", "localhost"):
        raise RefusedURL(url, "不允许访问其他主机")
    path = Path(unquote(parts.path))
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise RefusedURL(url, "文件不存在") from None
    if not resolved.is_relative_to(STATIC) or not resolved.is_file():
        raise RefusedURL(url, "路径不在本应用的 static 目录内")
    return resolved


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint 70 URL fetcher that serves only the app's own static files."""

    def __init__(self, **kwargs):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True, **kwargs)

    def fetch(self, url, headers=None):
        path = static_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})


def base_url() -> str:
    """Relative URLs in an annex resolve inside static/."""
    return STATIC.as_uri() + "/"
