"""/api/v1/users: your own account (any role), and account management for staff.

The rules (staff only, nobody demotes/disables/deletes themself, accounts with orders are kept) live in
`storefront.accounts.management`, which the back-office pages use too.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_babel import gettext as _

from storefront.accounts import management, services
from storefront.accounts.models import Role
from storefront.api.auth import auth_required, current_api_user
from storefront.api.blueprint import Blueprint
from storefront.api.docs import errors
from storefront.api.pagination import PaginationArgs, page_schema

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Your account; account management for staff.")


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True, metadata={"example": 42})
    email = ma.fields.String(dump_only=True, metadata={"example": "ann@example.com"})
    name = ma.fields.String(dump_only=True, metadata={"example": "Ann Buyer"})
    role = ma.fields.Enum(Role, by_value=True, dump_only=True, metadata={"example": "shopper"})
    is_verified = ma.fields.Boolean(dump_only=True, metadata={"example": True})
    is_active = ma.fields.Boolean(dump_only=True, metadata={"example": True})
    shop_id = ma.fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "A supplier's shop", "example": None}
    )
    created_at = ma.fields.DateTime(dump_only=True, metadata={"example": "2025-01-31T12:00:00+00:00"})
    last_login_at = ma.fields.DateTime(dump_only=True, allow_none=True, metadata={"example": None})
    locale = ma.fields.String(
        dump_only=True, allow_none=True,
        metadata={"description": "Interface language chosen (null: Accept-Language decides)", "example": "ru"},
    )


class MeUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=120), metadata={"example": "Ann Buyer"})
    locale = ma.fields.String(
        allow_none=True, validate=ma.validate.OneOf(["ru", "en"]),
        metadata={"description": "Interface language for pages and e-mails (null: Accept-Language decides)",
                  "example": "en"},
    )
    current_password = ma.fields.String(
        load_only=True, validate=ma.validate.Length(max=1024),
        metadata={"description": "Needed with `new_password`", "format": "password", "example": "old-secret-42"},
    )
    new_password = ma.fields.String(
        load_only=True, validate=ma.validate.Length(min=1, max=1024),
        metadata={"description": "Changing it ends every session and token; log in again",
                  "format": "password", "example": "a-brand-new-secret-42"},
    )

    @ma.validates_schema
    def _password_pair(self, data, **_kwargs):
        if "new_password" in data and "current_password" not in data:
            raise ma.ValidationError(_("Give your current password to change it."), "current_password")


class UserListArgs(PaginationArgs):
    role = ma.fields.Enum(Role, by_value=True, metadata={"example": "shopper"})
    verified = ma.fields.Boolean(metadata={"example": True})
    active = ma.fields.Boolean(metadata={"example": True})
    q = ma.fields.String(
        validate=ma.validate.Length(max=200), metadata={"description": "Part of the e-mail or name", "example": "ann"}
    )


class UserUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=120), metadata={"example": "Ann Buyer"})
    role = ma.fields.Enum(Role, by_value=True, metadata={"example": "staff"})
    is_active = ma.fields.Boolean(metadata={"description": "false disables the account", "example": False})
    is_verified = ma.fields.Boolean(metadata={"example": True})


@blp.route("/me")
class CurrentUser(MethodView):
    @auth_required(blp)
    @blp.response(200, UserSchema)
    def get(self):
        """Show your own account."""
        return current_api_user()

    @auth_required(blp)
    @errors(blp, 400)
    @blp.arguments(MeUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data):
        """Change your name, interface language and/or password (a new password ends every session and token)."""
        user = current_api_user()
        if "name" in data:
            services.update_profile(user, name=data["name"])
        if "locale" in data:
            services.set_locale(user, data["locale"])
        if "new_password" in data:
            services.change_password(
                user, current_password=data["current_password"], new_password=data["new_password"]
            )
        return user


@blp.route("")
class Users(MethodView):
    @auth_required(blp, Role.STAFF)
    @blp.arguments(UserListArgs, location="query")
    @blp.response(200, page_schema(UserSchema))
    def get(self, args):
        """List accounts, newest first, filtered by role, verification, state or a search term (staff)."""
        return management.list_users(current_api_user(), **args)


@blp.route("/<id:user_id>")
class UserById(MethodView):
    @auth_required(blp, Role.STAFF)
    @errors(blp, 404)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """Show one account (staff)."""
        return management.get_user(current_api_user(), user_id)

    @auth_required(blp, Role.STAFF)
    @errors(blp, 404)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change an account's name, role, verification or state (staff; never demote or disable yourself)."""
        user = management.update_user(current_api_user(), user_id, **data)
        return user

    @auth_required(blp, Role.STAFF)
    @errors(blp, 404, 409)
    @blp.response(204)
    def delete(self, user_id):
        """Delete an account that has never ordered (staff; not yourself — disable accounts with orders)."""
        management.delete_user(current_api_user(), user_id)
