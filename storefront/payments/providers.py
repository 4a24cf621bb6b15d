"""The payment-provider interface and the registry of the methods this shop offers (`PAYMENT_METHODS`).

A provider knows one way of paying: what the shopper is told (label, the invoice's terms), whether an unpaid
order is cancelled after `PAYMENT_DUE_DAYS`, who may record the money, and — for an online gateway — how a
payment starts (`start`, a URL to send the shopper to) and how the gateway's callback is trusted. The offline
methods are the first providers (`bank_transfer`, `on_delivery`); a card gateway is one more module.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

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


def _load() -> None:
    # The providers register themselves on import; they import this module, never the other way round at load.
    from storefront.payments import bank_transfer, on_delivery  # noqa: F401


def methods() -> list[str]:
    """The methods offered at checkout, in the configured order (the first is the default)."""
    _load()
    return [code for code in current_app.config["PAYMENT_METHODS"] if code in _FACTORIES]


def provider(code: str) -> PaymentProvider:
    """The provider of a method this shop offers; UnknownPaymentMethod otherwise."""
    _load()
    if code not in _FACTORIES:
        raise UnknownPaymentMethod(f"“{code}” is not a payment method.", field="payment_method")
    return _FACTORIES[code]()


def offered(code: str | None) -> PaymentProvider:
    """The provider for a checkout's choice: None means the default; a method not offered is refused."""
    available = methods()
    if not available:
        raise UnknownPaymentMethod("No payment method is configured.", field="payment_method")
    code = code or available[0]
    if code not in available:
        raise UnknownPaymentMethod(f"“{code}” is not a payment method offered here. Choose one of: "
                                   + ", ".join(available) + ".", field="payment_method")
    return provider(code)


def payment_terms(order) -> str:
    """The one rule for the payment terms an order's invoice and page show (by the order's method)."""
    return provider(order.payment_method).terms(order)


def method_label(code: str) -> str:
    try:
        return provider(code).label()
    except UnknownPaymentMethod:
        return code  # a method since removed from the code: its name is better than nothing
