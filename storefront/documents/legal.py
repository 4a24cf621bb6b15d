"""Shops' legal details: read and edited by the shop's supplier (portal, partner API) and staff (back-office).

The numbers are checked the way the tax service and the banks do: ИНН 10 digits (a company) or 12 (a sole
trader) with their check digits, КПП 9 characters (a company only), ОГРН 13 / ОГРНИП 15 with the check digit,
БИК 9 digits, and the 20-digit account against the БИК's key (weights 7-1-3 over the БИК's last three digits
and the account). A company (ИНН 10) needs a КПП and a 13-digit ОГРН; a sole trader a 15-digit ОГРНИП.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from storefront import policy
from storefront.accounts.models import User
from storefront.audit.services import record
from storefront.catalog.models import Shop
from storefront.documents.models import ShopLegalDetails
from storefront.domain_errors import DomainError, NotFound
from storefront.extensions import db

VAT_RATES = (0, 5, 7, 10, 20)  # percent; None = "без НДС"
FIELDS = ("legal_name", "inn", "kpp", "ogrn", "legal_address", "bank_name", "bik", "account", "vat_rate")
TEXT_LIMITS = {"legal_name": 300, "legal_address": 500, "bank_name": 300}
DIGITS = re.compile(r"^\d+$")
KPP = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")


class InvalidLegalDetails(DomainError):
    status = 422
    code = "validation_error"

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_("Some details are invalid; see the fields."))
        self.errors = errors
        self.field = next(iter(errors))


class ShopNotFound(NotFound):
    code = "shop_not_found"


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    if not DIGITS.match(inn or ""):
        return False
    if len(inn) == 10:
        return _weighted(inn, (2, 4, 10, 3, 5, 9, 4, 6, 8)) == int(inn[9])
    if len(inn) == 12:
        return (_weighted(inn, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == int(inn[10])
                and _weighted(inn, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == int(inn[11]))
    return False


def ogrn_is_valid(ogrn: str) -> bool:
    if not DIGITS.match(ogrn or ""):
        return False
    if len(ogrn) == 13:
        return int(ogrn[:12]) % 11 % 10 == int(ogrn[12])
    if len(ogrn) == 15:
        return int(ogrn[:14]) % 13 % 10 == int(ogrn[14])
    return False


def account_matches_bik(account: str, bik: str) -> bool:
    """The control key of a settlement account at a credit institution (Bank of Russia rules)."""
    if not (DIGITS.match(account or "") and len(account) == 20 and DIGITS.match(bik or "") and len(bik) == 9):
        return False
    digits = bik[-3:] + account
    weights = (7, 1, 3) * 8
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 10 == 0


def validate(data: dict[str, Any]) -> dict[str, Any]:
    """Cleaned values of the given fields, or InvalidLegalDetails naming every wrong field."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in FIELDS:
        value = data.get(name)
        if name == "vat_rate":
            if value in (None, "", "none"):
                clean[name] = None
                continue
            try:
                rate = int(value)
            except (TypeError, ValueError):
                rate = -1
            if rate not in VAT_RATES:
                errors[name] = [_("Choose a VAT rate of %(rates)s or “without VAT”.",
                                  rates=", ".join(f"{r}%" for r in VAT_RATES))]
            clean[name] = rate
            continue
        text = " ".join(str(value or "").split())
        if name in ("inn", "kpp", "ogrn", "bik", "account"):
            text = text.replace(" ", "").upper()
        clean[name] = text
        if name in TEXT_LIMITS and len(text) > TEXT_LIMITS[name]:
            errors[name] = [_("At most %(num)d characters.", num=TEXT_LIMITS[name])]
    if not clean["legal_name"]:
        errors["legal_name"] = [_("Give the legal name (e.g. ООО «Ромашка» or ИП Иванов И. И.).")]
    if not clean["legal_address"]:
        errors["legal_address"] = [_("Give the legal address.")]
    if not clean["bank_name"]:
        errors["bank_name"] = [_("Give the bank's name.")]
    inn, kpp, ogrn = clean["inn"], clean["kpp"], clean["ogrn"]
    if not inn_is_valid(inn):
        errors["inn"] = [_("An ИНН is 10 digits (a company) or 12 (a sole trader) with valid check digits.")]
    company = len(inn) == 10
    if company and not KPP.match(kpp):
        errors["kpp"] = [_("A company's КПП is 9 characters (e.g. 773601001).")]
    if not company and kpp:
        errors["kpp"] = [_("A sole trader has no КПП: leave it empty.")]
    if not ogrn_is_valid(ogrn):
        errors["ogrn"] = [_("An ОГРН is 13 digits (ОГРНИП 15) with a valid check digit.")]
    elif inn_is_valid(inn) and len(ogrn) != (13 if company else 15):
        errors["ogrn"] = [_("A company has a 13-digit ОГРН, a sole trader a 15-digit ОГРНИП.")]
    bik = clean["bik"]
    if not (DIGITS.match(bik) and len(bik) == 9):
        errors["bik"] = [_("A БИК is 9 digits.")]
    if not (DIGITS.match(clean["account"]) and len(clean["account"]) == 20):
        errors["account"] = [_("An account number is 20 digits.")]
    elif "bik" not in errors and not account_matches_bik(clean["account"], bik):
        errors["account"] = [_("This account does not match the БИК (its check digit is wrong).")]
    if errors:
        raise InvalidLegalDetails(errors)
    return clean


@dataclass(frozen=True)
class LegalDetails:
    """What a page or the API shows; empty strings (and vat_rate None) while the shop has not filled them in."""

    shop_id: int
    shop_name: str
    legal_name: str = ""
    inn: str = ""
    kpp: str = ""
    ogrn: str = ""
    legal_address: str = ""
    bank_name: str = ""
    bik: str = ""
    account: str = ""
    vat_rate: int | None = None

    @property
    def complete(self) -> bool:
        return bool(self.legal_name and self.inn and self.account)


def _shop(shop_id: int) -> Shop:
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise ShopNotFound(_("No such shop."))
    return shop


def details_of(shop: Shop) -> LegalDetails:
    """The shop's details as stored (no authorization: for documents the caller may already print)."""
    row = db.session.get(ShopLegalDetails, shop.id)
    if row is None:
        return LegalDetails(shop_id=shop.id, shop_name=shop.name)
    return LegalDetails(shop_id=shop.id, shop_name=shop.name, **{name: getattr(row, name) for name in FIELDS})


def get_legal_details(actor: User, shop_id: int) -> LegalDetails:
    """Staff see any shop's; a supplier only its own (others answer 404, as in the rest of the portal)."""
    if not policy.is_staff(actor) and not policy.owns_shop(actor, shop_id):
        raise ShopNotFound(_("No such shop."))
    return details_of(_shop(shop_id))


def update_legal_details(actor: User, shop_id: int, data: dict[str, Any]) -> LegalDetails:
    """Replace the shop's details with `data` (every field; validated as a whole)."""
    if not policy.is_staff(actor) and not policy.owns_shop(actor, shop_id):
        raise ShopNotFound(_("No such shop."))
    policy.require_shop_editor(actor, shop_id)
    shop = _shop(shop_id)
    clean = validate(data)
    row = db.session.get(ShopLegalDetails, shop.id)
    if row is None:
        row = ShopLegalDetails(shop_id=shop.id)
        db.session.add(row)
    for name, value in clean.items():
        setattr(row, name, value)
    db.session.flush()
    record(actor, "shop.legal_details_changed", "shop", shop.id, {"inn": clean["inn"]})
    return details_of(shop)


def vat_label(rate: int | None) -> str:
    """How the documents print the rate: "20%" or "без НДС"."""
    return "без НДС" if rate is None else f"{rate}%"
