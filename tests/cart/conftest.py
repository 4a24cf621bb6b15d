from tests.api.conftest import auth_headers, tokens_for  # noqa: F401 - the API tests' token fixtures
