"""A bounded schemathesis run against the OpenAPI spec, as an attacker without an account would run it.

tests/api/test_api_openapi.py checks conformance with a staff token; this one sends what an anonymous client
can: inputs that break the schema (negative mode: ids past the path bounds, wrong types, NUL characters, huge
numbers) as well as valid ones, to every operation, and asserts only that none answers 5xx — the authentication,
input guard and validation all refuse before anything breaks. Deterministic (derandomized, no example database)
and small: a few examples per operation, well under a minute per backend on two cores.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.factories import OfferFactory, UserFactory

MAX_EXAMPLES = 8


def test_no_operation_answers_5xx_to_an_anonymous_attacker(app, session):
    app.config.update(  # the run hits the auth endpoints again and again; the throttles have their own tests
        API_AUTH_RATE_LIMIT="100000 per minute", API_LOGIN_RATE_LIMIT="100000 per minute",
        ACCOUNTS_MAIL_RATE_LIMIT="100000 per minute", LOGIN_ACCOUNT_RATE_LIMIT="100000 per minute",
        PROPAGATE_EXCEPTIONS=False,
    )
    OfferFactory()
    UserFactory(email="ann@example.com")
    session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures, statuses, operations = [], set(), 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        strategy = st.one_of(operation.as_strategy(GenerationMode.NEGATIVE), operation.as_strategy(GenerationMode.POSITIVE))

        @given(case=strategy)
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        def run(case):
            response = case.call_and_validate(checks=[not_a_server_error])
            statuses.add(response.status_code)

        try:
            run()
        except Exception as error:
            failures.append(f"{operation.label}: {type(error).__name__}: {error}")
    assert operations >= 30
    assert not failures, "\n\n".join(failures)
    assert {400, 401, 404, 422} <= statuses, statuses  # the refusals were reached
