"""The payment-provider interface and the registry of the methods this shop offers (`PAYMENT_METHODS`).

A provider knows one way of paying: what the shopper is told (label, the invoice's terms), whether an unpaid
order is cancelled after `PAYMENT_DUE_DAYS`, who may record the money, and — for an online gateway — how a
payment starts (`start`, a URL to send the shopper to) and how the gateway's callback is trusted. The offline
methods are the first providers (`bank_transfer`, `on_delivery`); a card gateway is one more module.
"""

from __future__ import annotations

from flask import current_app

# The interface and the registry live in `base`, which the provider modules import: no circle back to here.
from storefront.payments.base import _FACTORIES, PaymentProvider, UnknownPaymentMethod, register  # noqa: F401


def _load() -> None:
    # The providers register themselves (in `base`) when imported.
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
