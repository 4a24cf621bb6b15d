"""One unit of work per request and per socket message: commit on success, roll back on any failure.

Services flush and raise; views, API resources and the chat socket never commit. The boundary does, once:

- a request commits after its view answered with a success (1xx-3xx: a redirect after POST is committed before
  the answer leaves, so the page it leads to sees the change) and rolls back on anything else — an exception
  (the error handlers call `rollback()` before they render), a 4xx/5xx answer (a form shown again with its
  errors, a refusal), or an error answered as 200 because htmx swaps only 2xx answers (`htmx.error_status`
  flags it with `mark_failed()`);
- the chat socket lives inside one long request, so each handshake and each message is its own
  `unit_of_work()` block;
- an answer that shows the outcome of a change is made after the commit, from what was stored: a page with
  `answer_after_commit`, an API resource's result by the API blueprint (`commit_before_answer`);
- a refusal that must leave a trace (a reused refresh token revokes its family) keeps its block with
  `commit_even_on`, never with a commit in the view;
- CLI commands and jobs are boundaries of their own and commit themselves.

Work queued to run after the commit (`jobs.queue.enqueue`, cache invalidation, chat fan-out) hangs on the
session's after-commit event, so it runs when the boundary commits and is dropped when it rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, has_request_context, request
from flask.typing import ResponseReturnValue

from storefront.extensions import db

FAILED = "storefront.unit_of_work.failed"  # a request.environ key: per request, never shared with the next one


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block wrote when it ends normally; roll it back when anything escapes (and re-raise)."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


@contextmanager
def commit_even_on(*errors: type[BaseException]) -> Iterator[None]:
    """Keep what the block wrote although it ends in one of `errors`, which then goes on to fail the request.

    For a refusal that must leave a trace (a reused refresh token revokes its whole family, then answers 401):
    the block is committed, the error is answered as usual, and nothing after it is.
    """
    try:
        yield
    except errors:
        db.session.commit()
        raise


def mark_failed() -> None:
    """This request answers an error whatever its status says: nothing it wrote may be committed."""
    if has_request_context():
        request.environ[FAILED] = True


def rollback() -> None:
    """Discard what this request wrote so far, and commit nothing later in it (error handlers call this first,
    so a failed statement can never break the page that reports it)."""
    db.session.rollback()
    mark_failed()


def answer_after_commit(make_answer: Callable[[], ResponseReturnValue]) -> Response:
    """An answer made once the request has committed, for a page that shows the outcome of a change.

    It then shows what was stored, reloaded from the database, and what the after-commit work did (without
    Redis a job runs right at the commit), as it did when views committed before rendering.
    """
    response = current_app.response_class()  # the app's own class: Flask passes it through unchanged
    response.storefront_make_answer = make_answer
    return response


def commit_before_answer() -> None:
    """End the request's unit of work now, because its answer is about to be made from what was stored.

    Only for the boundary itself (the API blueprint's response decorator): a view never calls it.
    """
    if request.environ.get(FAILED):
        db.session.rollback()
    else:
        db.session.commit()


def _finish(response: Response) -> Response:
    if request.environ.pop(FAILED, False) or response.status_code >= 400:
        db.session.rollback()
    else:
        # Runs the after-commit work too; if the commit fails the exception turns the answer into a 500.
        db.session.commit()
    make_answer = getattr(response, "storefront_make_answer", None)
    if make_answer is not None:
        # Made into the response the other after_request hooks have already seen (their headers stay).
        answer = current_app.make_response(make_answer())
        response.set_data(answer.get_data())
        response.status_code = answer.status_code
        response.headers.update({k: v for k, v in answer.headers.items() if k.lower() != "content-length"})
    return response


def _discard(error: BaseException | None) -> None:
    # An exception no handler answered (PROPAGATE_EXCEPTIONS) skips `_finish`: what it wrote must not be left in
    # the session for a later commit. Otherwise the app context's end removes the session anyway.
    if error is not None:
        db.session.rollback()


def init_app(app: Flask) -> None:
    # Registered before every other after_request hook, so it runs last (Flask runs them in reverse): what those
    # hooks write is committed with the rest, and the session cookie is saved only after the commit succeeded.
    app.after_request(_finish)
    app.teardown_request(_discard)
