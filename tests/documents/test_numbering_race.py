"""Document numbers under concurrency: parallel issuers never share a number, skip one, or number a part twice."""

import threading

from sqlalchemy import select

from storefront.documents import numbering
from storefront.documents.models import IssuedDocument
from storefront.extensions import db
from tests.factories import OrderPartFactory

ISSUERS = 6


def test_parallel_issuers_get_consecutive_unique_numbers(app, session):
    parts = [OrderPartFactory() for _ in range(ISSUERS // 2)]
    session.commit()
    # Two issuers per part: each part must end with one number, and the numbers must be 1..N without gaps.
    jobs = [part.id for part in parts for _ in range(2)]
    session.remove()
    start = threading.Barrier(len(jobs))
    errors: list[str] = []
    lock = threading.Lock()

    def issue(part_id: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                numbering.issue(part_id, "invoice")
                db.session.commit()
            except Exception as exc:  # a lost race must not be an error either
                db.session.rollback()
                with lock:
                    errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with app.app_context():
        issued = db.session.execute(select(IssuedDocument.part_id, IssuedDocument.number)).all()
    assert sorted(part_id for part_id, _ in issued) == sorted(part.id for part in parts)
    assert sorted(number for _, number in issued) == list(range(1, len(parts) + 1))
