"""Domain errors raised by the accounts services; pages show them as form errors, the API as 4xx JSON."""

from __future__ import annotations

from storefront.domain_errors import Conflict, DomainError, NotFound


class InvalidEmail(DomainError):
    status = 422  # an invalid field: the API's validation status
    code = "invalid_email"


class EmailTaken(Conflict):
    code = "email_taken"


class ShopNameTaken(Conflict):
    code = "shop_name_taken"


class WeakPassword(DomainError):
    status = 422  # an invalid field: the API's validation status
    code = "weak_password"


class InvalidInput(DomainError):
    status = 422  # an invalid field: the API's validation status
    code = "invalid"


class InvalidCredentials(DomainError):
    # One message for "no such e-mail" and "wrong password": the answer must not reveal who is registered.
    status = 401
    code = "invalid_credentials"


class AccountDisabled(DomainError):
    status = 403
    code = "account_disabled"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int = 0, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InvalidToken(DomainError):
    """A link that is forged, expired or already used."""

    code = "invalid_token"


class ContactNotFound(NotFound):
    code = "contact_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class CannotChangeSelf(DomainError):
    """Staff may not delete, demote or disable their own account (someone must be left to run the shop)."""

    status = 403
    code = "cannot_change_self"


class UserHasOrders(Conflict):
    code = "user_has_orders"
