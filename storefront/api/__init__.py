"""The JSON API under /api/v1 (flask-smorest): resources call the same services as the pages."""

from flask_smorest import Api


def register_api(api: Api) -> None:
    """Register every API blueprint; each feature's resources module adds one line here."""
    from storefront.api import (
        admin,
        auth_routes,
        cart,
        catalog,
        contacts,
        documents,
        guest,
        orders,  # noqa: F401 - its routes join admin.order_blp, registered below
        partner,
        support,
        users,
    )

    api.register_blueprint(auth_routes.blp)
    api.register_blueprint(users.blp)
    api.register_blueprint(contacts.blp)
    api.register_blueprint(cart.blp)
    api.register_blueprint(guest.blp)
    api.register_blueprint(partner.blp)
    api.register_blueprint(support.blp)
    api.register_blueprint(documents.blp)
    for blp in catalog.BLUEPRINTS:
        api.register_blueprint(blp)
    for blp in admin.BLUEPRINTS:
        api.register_blueprint(blp)
