"""The only place that reads HX-* headers."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, render_template, request

from storefront.unit_of_work import mark_failed


def is_partial() -> bool:
    """An HTMX request that wants a fragment (boosted links and history restores want the whole page)."""
    # On a history-cache miss (back/forward), htmx re-fetches the URL with HX-Request set and swaps the answer
    # into <body>: a fragment there would drop the header and footer.
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def error_status(status: int) -> int:
    """The status to answer with: an HTMX partial always goes as 200, because htmx swaps only 2xx answers.

    A partial that carries an error message is still an error: the unit of work is told, so the 200 commits
    nothing. A full page keeps its status.
    """
    if status >= 400:
        mark_failed()
    return 200 if is_partial() else status


def render_page_or_partial(page_template: str, partial_template: str, **context: Any) -> str:
    """One URL, two answers: the full page, or just the partial an HTMX request targets."""
    return render_template(partial_template if is_partial() else page_template, **context)


def init_app(app: Flask) -> None:
    @app.after_request
    def vary_on_htmx(response: Response) -> Response:
        # Caches must not hand a fragment to a full-page load of the same URL, or the reverse.
        response.vary.add("HX-Request")
        return response
