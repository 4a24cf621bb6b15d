"""/api/v1/contacts: your delivery addresses. Only your own: another user's contact id answers 404."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from storefront.accounts import services
from storefront.api.auth import auth_required, current_api_user
from storefront.api.blueprint import Blueprint
from storefront.api.docs import errors
from storefront.api.pagination import PaginationArgs, page_schema
from storefront.pagination import page_of

blp = Blueprint("contacts", __name__, url_prefix="/api/v1/contacts", description="Your delivery contacts.")


def _text(limit: int, example: str, *, required: bool = False, description: str | None = None) -> ma.fields.String:
    metadata = {"example": example, **({"description": description} if description else {})}
    return ma.fields.String(
        required=required, validate=ma.validate.Length(min=1 if required else 0, max=limit), metadata=metadata
    )


class ContactSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True, metadata={"example": 7})
    recipient = _text(120, "Ivan Petrov", description="Who receives the goods")
    city = _text(100, "Moscow", required=True)
    street = _text(150, "Tverskaya", required=True)
    house = _text(20, "1")
    building = _text(20, "")
    apartment = _text(20, "10")
    phone = _text(32, "+7 900 000-00-00", required=True, description="Digits, spaces, +, - and brackets")
    address = ma.fields.Function(
        lambda contact: contact.one_line(), dump_only=True, metadata={"example": "Moscow, Tverskaya, 1, apt. 10"}
    )
    created_at = ma.fields.DateTime(dump_only=True, metadata={"example": "2025-01-31T12:00:00+00:00"})


class ContactUpdateSchema(ContactSchema):
    """Any subset of a contact's fields (used partially)."""


@blp.route("")
class Contacts(MethodView):
    @auth_required(blp)
    @blp.arguments(PaginationArgs, location="query")
    @blp.response(200, page_schema(ContactSchema))
    def get(self, args):
        """List your delivery contacts."""
        return page_of(services.list_contacts(current_api_user()), args["page"], args["page_size"])

    @auth_required(blp)
    @blp.arguments(ContactSchema)
    @blp.response(201, ContactSchema)
    def post(self, data):
        """Add a delivery contact (at most 20)."""
        contact = services.add_contact(current_api_user(), services.ContactData(**data))
        return contact


@blp.route("/<id:contact_id>")
class ContactById(MethodView):
    @auth_required(blp)
    @errors(blp, 404)
    @blp.response(200, ContactSchema)
    def get(self, contact_id):
        """Show one of your delivery contacts."""
        return services.get_contact(current_api_user(), contact_id)

    @auth_required(blp)
    @errors(blp, 404)
    @blp.arguments(ContactUpdateSchema(partial=True))
    @blp.response(200, ContactSchema)
    def patch(self, data, contact_id):
        """Change some fields of one of your delivery contacts."""
        contact = services.patch_contact(current_api_user(), contact_id, data)
        return contact

    @auth_required(blp)
    @errors(blp, 404)
    @blp.response(204)
    def delete(self, contact_id):
        """Delete one of your delivery contacts (orders keep their own copy of the address)."""
        services.delete_contact(current_api_user(), contact_id)
