"""Stock held during checkout: opening the checkout holds the cart's units for RESERVATION_MINUTES.

A hold takes its units off `Offer.quantity` with the same conditional UPDATE an order uses (`quantity >= n`
in the statement), so two shoppers can never hold the same last unit, and every reader of the stock — the
product page, the cart, the API, the catalog summaries — sees them gone without knowing about holds. The
holder's own cart and checkout add their hold back (`held`). Placing the order keeps the held units
(`claim`); an expired hold is put back by the periodic job, or at once when someone else runs short of
that offer (`release_expired`), so an expired hold never blocks anybody. Like a new order's units, held
units are outside `quantity` while held: a price-list import that rewrites the quantity meanwhile counts
them as sold, exactly as it does a new order's (and cancelling either puts them back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from storefront.accounts.models import User
from storefront.cart.models import CartItem, StockReservation
from storefront.catalog.models import Offer
from storefront.catalog.stock import stock_changed
from storefront.database import utcnow
from storefront.extensions import db

Owner = User | str  # as in cart.services: a signed-in user, or a guest cart's session key


@dataclass
class Hold:
    expires_at: datetime | None
    held: dict[int, int]  # offer id → units held for this cart
    short: list[int]  # offers whose wanted units could not all be held (the checkout shows the shortage)


def _owned_by(owner: Owner):
    if isinstance(owner, User):
        return StockReservation.user_id == owner.id
    if not owner:
        raise ValueError("a guest hold needs a session key")
    return StockReservation.session_key == owner


def _owner_values(owner: Owner) -> dict:
    return {"user_id": owner.id} if isinstance(owner, User) else {"session_key": owner}


def minutes() -> int:
    return int(current_app.config["RESERVATION_MINUTES"])


def held(owner: Owner | None) -> dict[int, int]:
    """Units this cart holds, per offer (an expired hold still holds until it is put back)."""
    if owner is None or owner == "":
        return {}
    rows = db.session.execute(select(StockReservation.offer_id, StockReservation.quantity).where(_owned_by(owner)))
    return dict(rows.all())


def held_until(owner: Owner | None) -> datetime | None:
    """When this cart's holds run out (the earliest), or None when it holds nothing."""
    if owner is None or owner == "":
        return None
    return db.session.scalar(select(func.min(StockReservation.expires_at)).where(_owned_by(owner)))


def _take(offer_id: int, quantity: int) -> int | None:
    """The units left after taking `quantity`, or None when short (nothing taken)."""
    return db.session.execute(
        update(Offer).where(Offer.id == offer_id, Offer.quantity >= quantity)
        .values(quantity=Offer.quantity - quantity).returning(Offer.quantity)
        .execution_options(synchronize_session=False)).scalar()


def _give(offer_id: int, quantity: int) -> None:
    db.session.execute(update(Offer).where(Offer.id == offer_id).values(quantity=Offer.quantity + quantity)
                       .execution_options(synchronize_session=False))


def stock_moved(offer_ids) -> None:
    """The catalog's summaries now, what they changed forgotten from its cache after the commit."""
    stock_changed(sorted(set(offer_ids)))


def take_or_release(offer_id: int, quantity: int) -> int | None:
    """Take `quantity` units off the offer (→ the units left; None when short, nothing taken); when short,
    first put back that offer's expired holds."""
    left = _take(offer_id, quantity)
    if left is not None or not release_expired([offer_id]):
        return left
    return _take(offer_id, quantity)


def hold_cart(owner: Owner) -> Hold:
    """Hold the cart's quantities (again) for RESERVATION_MINUTES from now; lines removed since are let go.

    The caller has taken the write lock (`orders.locks`); this owner's rows are locked so the job cannot put
    a hold back while it is being extended.
    """
    rows = {row.offer_id: row for row in db.session.scalars(
        select(StockReservation).where(_owned_by(owner)).with_for_update())}
    lines = db.session.execute(
        select(CartItem.offer_id, CartItem.quantity, Offer).join(Offer, Offer.id == CartItem.offer_id)
        .where(CartItem.user_id == owner.id if isinstance(owner, User) else CartItem.session_key == owner)
        .order_by(CartItem.offer_id)  # offers locked in id order, as checkout does: no deadlock between carts
    ).all()
    until = utcnow() + timedelta(minutes=minutes())
    for row in rows.values():
        row.expires_at = until  # first: this cart's own holds are not "expired" to the shortage path below
    db.session.flush()
    moved, short, result = [], [], {}
    for offer_id, wanted, offer in lines:
        row = rows.pop(offer_id, None)
        have = row.quantity if row else 0
        if not offer.is_sellable:
            wanted = 0  # nothing to hold for a line that cannot be bought
        delta = wanted - have
        if delta > 0 and take_or_release(offer_id, delta) is None:
            short.append(offer_id)
            delta = 0
        elif delta < 0:
            _give(offer_id, -delta)
        if delta:
            moved.append(offer_id)
        now_held = have + delta
        if row is not None and now_held == 0:
            db.session.delete(row)
        elif row is not None:
            row.quantity, row.expires_at = now_held, until
        elif now_held:
            db.session.add(StockReservation(offer_id=offer_id, quantity=now_held, expires_at=until,
                                            **_owner_values(owner)))
        if now_held:
            result[offer_id] = now_held
    for offer_id, row in rows.items():  # lines no longer in the cart
        _give(offer_id, row.quantity)
        db.session.delete(row)
        moved.append(offer_id)
    db.session.flush()
    stock_moved(moved)
    return Hold(until if result else None, result, short)


def claim(owner: Owner, offer_id: int) -> int:
    """Placing the order: this cart's hold of the offer becomes the order's; how many units it held."""
    row = db.session.scalar(select(StockReservation).where(_owned_by(owner), StockReservation.offer_id == offer_id)
                            .with_for_update())
    if row is None:
        return 0
    quantity = row.quantity
    gone = db.session.execute(delete(StockReservation).where(StockReservation.id == row.id)
                              .execution_options(synchronize_session=False)).rowcount
    db.session.expunge(row)
    return quantity if gone == 1 else 0  # 0: the job put it back meanwhile, so it holds nothing any more


def give_back(offer_id: int, quantity: int) -> None:
    """Units held beyond what was ordered go back on sale."""
    if quantity > 0:
        _give(offer_id, quantity)


def release(owner: Owner) -> int:
    """Let go of every hold of this cart (emptied cart, log-out of a guest). Returns units put back."""
    if owner is None or owner == "":
        return 0
    units, moved = 0, []
    for row in db.session.scalars(select(StockReservation).where(_owned_by(owner)).with_for_update()).all():
        _give(row.offer_id, row.quantity)
        units += row.quantity
        moved.append(row.offer_id)
        db.session.delete(row)
    db.session.flush()
    stock_moved(moved)
    return units


def release_expired(offer_ids: list[int] | None = None, now: datetime | None = None, limit: int = 500) -> int:
    """Put the units of expired holds back on their offers (all, or those of `offer_ids`). Returns units."""
    now = now or utcnow()
    query = select(StockReservation.id, StockReservation.offer_id, StockReservation.quantity).where(
        StockReservation.expires_at < now)
    if offer_ids is not None:
        query = query.where(StockReservation.offer_id.in_(offer_ids))
    units, moved = 0, []
    for row_id, offer_id, quantity in db.session.execute(query.order_by(StockReservation.id).limit(limit)).all():
        # Still expired and unchanged? A holder extending it meanwhile wins; each hold is put back once.
        gone = db.session.execute(
            delete(StockReservation).where(StockReservation.id == row_id, StockReservation.expires_at < now,
                                           StockReservation.quantity == quantity)
            .execution_options(synchronize_session=False)).rowcount
        if gone == 1:
            _give(offer_id, quantity)
            units += quantity
            moved.append(offer_id)
    stock_moved(moved)
    return units
