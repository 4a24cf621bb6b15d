"""/api/v1/partner: a supplier's price-list imports and export, order acceptance, and its part of orders.

The same `storefront.suppliers.services` as the portal pages: a supplier only ever reaches its own shop's data;
another shop's import or order answers 404. Imports, exports, order acceptance and order-part actions need a
verified e-mail: 403 `email_unverified` until it is confirmed (reading stays open).
"""

from __future__ import annotations

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView
from flask_babel import gettext as _

from storefront.accounts.models import Role
from storefront.api.auth import auth_required, current_api_user
from storefront.api.blueprint import Blueprint
from storefront.api.docs import errors
from storefront.api.pagination import PaginationArgs, page_schema
from storefront.domain_errors import DomainError
from storefront.orders import links
from storefront.orders.models import OrderStatus
from storefront.suppliers import services
from storefront.suppliers.fetch import FetchError
from storefront.suppliers.models import ImportState

blp = Blueprint("partner", __name__, url_prefix="/api/v1/partner",
                description="Suppliers: price-list import and export, order acceptance, your part of orders.")
SUPPLIER = Role.SUPPLIER
API_STATES = {ImportState.QUEUED: "queued", ImportState.RUNNING: "running", ImportState.SUCCEEDED: "done",
              ImportState.FAILED: "failed"}


class ProblemSchema(ma.Schema):
    item = ma.fields.String(metadata={"example": "item 4216292"})
    field = ma.fields.String(allow_none=True, metadata={"example": "price"})
    message = ma.fields.String(metadata={"example": "price cannot be negative"})


class CountsSchema(ma.Schema):
    created = ma.fields.Integer(attribute="created_count", metadata={"example": 12})
    updated = ma.fields.Integer(attribute="updated_count", metadata={"example": 3})
    unchanged = ma.fields.Integer(attribute="unchanged_count", metadata={"example": 140})
    deactivated = ma.fields.Integer(attribute="deactivated_count", metadata={"example": 1})


class ImportSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"example": 17})
    state = ma.fields.Function(lambda job: API_STATES[job.state], metadata={
        "enum": list(API_STATES.values()), "example": "done"})
    progress = ma.fields.Integer(attribute="current_progress", metadata={"description": "0–100", "example": 100})
    source_kind = ma.fields.String(metadata={"enum": ["file", "url"], "example": "file"})
    source = ma.fields.String(metadata={"description": "File name or URL", "example": "price-list.yaml"})
    counts = ma.fields.Function(lambda job: CountsSchema().dump(job), metadata={"example": {
        "created": 12, "updated": 3, "unchanged": 140, "deactivated": 1}})
    errors = ma.fields.List(ma.fields.Nested(ProblemSchema), metadata={"description": "Every problem found"})
    created_at = ma.fields.DateTime(metadata={"example": "2025-01-31T12:00:00+00:00"})
    finished_at = ma.fields.DateTime(allow_none=True, metadata={"example": "2025-01-31T12:00:05+00:00"})


class ImportCreatedSchema(ma.Schema):
    import_id = ma.fields.Integer(metadata={"example": 17})


class StateSchema(ma.Schema):
    accepting_orders = ma.fields.Boolean(required=True, metadata={"example": True})


class LineSchema(ma.Schema):
    product_name = ma.fields.String(metadata={"example": "Смартфон Apple iPhone XS Max 512GB"})
    model = ma.fields.String(metadata={"example": "apple/iphone/xs-max"})
    price = ma.fields.Decimal(as_string=True, metadata={"example": "110000.00"})
    quantity = ma.fields.Integer(metadata={"example": 1})


class PartSchema(ma.Schema):
    order_id = ma.fields.Integer(metadata={"example": 42})
    status = ma.fields.Enum(OrderStatus, by_value=True, metadata={"example": "new"})
    subtotal = ma.fields.Decimal(as_string=True, metadata={"example": "110000.00"})
    delivery_fee = ma.fields.Decimal(as_string=True, metadata={"example": "0.00"})
    created_at = ma.fields.Function(lambda part: part.order.created_at.isoformat(),
                                    metadata={"example": "2025-01-31T12:00:00+00:00"})
    delivery_address = ma.fields.Function(lambda part: part.order.delivery_address,
                                          metadata={"example": "Moscow, Tverskaya, 1"})
    items = ma.fields.List(ma.fields.Nested(LineSchema), metadata={"description": "Only your shop's lines"})
    next_statuses = ma.fields.Function(lambda part: [s.value for s in services.next_statuses(part)],
                                       metadata={"example": ["confirmed", "cancelled"]})


class PartListArgs(PaginationArgs):
    status = ma.fields.Enum(OrderStatus, by_value=True, metadata={"example": "new"})


UPLOAD_DOC = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
    "application/json": {"schema": {"type": "object", "required": ["url"],
                                    "properties": {"url": {"type": "string", "format": "uri",
                                                           "example": "https://example.com/price-list.yaml"}}}},
}}}


class BadUpload(DomainError):
    status = 422
    code = "validation_error"


@blp.route("/price-list")
class PriceList(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 403, 404, 413, 422)
    @blp.doc(**UPLOAD_DOC)
    @blp.response(202, ImportCreatedSchema)
    def post(self):
        """Queue a price-list import: a YAML file (multipart `file`) or `{"url": …}`; poll the import for the result."""
        user = current_api_user()
        limit = current_app.config["SUPPLIER_MAX_PRICELIST_BYTES"]
        request.max_content_length = limit + 64 * 1024
        upload = request.files.get("file") if request.mimetype == "multipart/form-data" else None
        if upload is not None:
            job = services.start_file_import(user, upload.filename or "", upload.stream.read(limit + 1))
        else:
            body = request.get_json(silent=True) if request.is_json else None
            url = body.get("url") if isinstance(body, dict) else None
            if not isinstance(url, str):
                raise BadUpload(_("Send a YAML file as multipart `file`, or JSON {\"url\": \"https://…\"}."), field="file")
            try:
                job = services.start_url_import(user, url)
            except FetchError as error:
                raise BadUpload(error.message, field="url") from None
        return {"import_id": job.id}

    @auth_required(blp, SUPPLIER)
    @errors(blp, 403, 404)
    @blp.response(200, content_type="application/x-yaml", description="The price list, as imports read it")
    def get(self):
        """Download your current price list (the import format; importing it back changes nothing)."""
        name, text = services.export_now(current_api_user())
        return Response(text, mimetype="application/x-yaml",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/imports")
class Imports(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 404)
    @blp.arguments(PaginationArgs, location="query")
    @blp.response(200, page_schema(ImportSchema))
    def get(self, args):
        """List your imports, newest first."""
        return services.list_imports(current_api_user(), args["page"], args["page_size"])


@blp.route("/imports/<id:import_id>")
class ImportById(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 404)
    @blp.response(200, ImportSchema)
    def get(self, import_id):
        """Show one import: state, progress, counts and every problem."""
        return services.get_import(current_api_user(), import_id)


@blp.route("/state")
class State(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 404)
    @blp.response(200, StateSchema)
    def get(self):
        """Say whether your shop accepts orders."""
        return services.shop_of(current_api_user())

    @auth_required(blp, SUPPLIER)
    @errors(blp, 403, 404)
    @blp.arguments(StateSchema)
    @blp.response(200, StateSchema)
    def patch(self, data):
        """Switch order acceptance on or off (while off, your goods cannot be bought)."""
        shop = services.set_accepting_orders(current_api_user(), data["accepting_orders"])
        return shop


@blp.route("/orders")
class Orders(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 404)
    @blp.arguments(PartListArgs, location="query")
    @blp.response(200, page_schema(PartSchema))
    def get(self, args):
        """List your parts of orders (only your own lines, prices and totals), newest first."""
        return services.list_order_parts(current_api_user(), args["page"], args["page_size"], args.get("status"))


PART_ACTIONS = {"confirm": services.confirm_part, "ship": services.ship_part}


@blp.route("/orders/<id:order_id>/<any(confirm, ship):action>")
class PartAction(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 403, 404, 409)
    @blp.response(200, PartSchema)
    def post(self, order_id, action):
        """Confirm (`confirm`) or send (`ship`; a confirmed part is marked assembled, then sent) your part of an order."""
        part = PART_ACTIONS[action](current_api_user(), order_id, order_link=links.order_page)
        return part
