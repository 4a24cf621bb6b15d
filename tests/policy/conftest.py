"""Two-doors fixtures: the API suite's token helpers, shared rather than written again."""

from tests.api.conftest import auth_headers, tokens_for  # noqa: F401 - the API suite's token fixtures
