"""The payment-provider interface and its registry; each provider module registers itself here on import."""

from __future__ import annotations

from collections.abc import Callable

from storefront.domain_errors import DomainError


class UnknownPaymentMethod(DomainError):
    code = "invalid_payment_method"


class PaymentProvider:
    """One payment method. Subclasses override what differs; the defaults are an offline method's."""

    code: str = ""
    #: Cancel the order when it is still unpaid PAYMENT_DUE_DAYS after it was placed.
    cancels_when_overdue: bool = False
    #: Suppliers may record the payment of their own part (they take the money at the door).
    collected_by_supplier: bool = False

    def label(self) -> str:
        raise NotImplementedError

    def terms(self, order) -> str:
        """The payment terms printed on the invoice and shown on the order page."""
        raise NotImplementedError

    def start(self, order) -> str | None:
        """Begin paying online: the URL to send the shopper to, or None for an offline method."""
        return None


_FACTORIES: dict[str, Callable[[], PaymentProvider]] = {}


def register(code: str) -> Callable[[type[PaymentProvider]], type[PaymentProvider]]:
    """Class decorator: make a provider available under `code` (offered if PAYMENT_METHODS lists it)."""

    def add(cls: type[PaymentProvider]) -> type[PaymentProvider]:
        _FACTORIES[code] = lambda: cls(code)
        return cls

    return add
