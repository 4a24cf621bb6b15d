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
from storefront.payments import services as payments
from storefront.suppliers import services
from storefront.suppliers.fetch import FetchError
from storefront.suppliers.models import ImportState

blp = Blueprint("partner", __name__, url_prefix="/api/v1/partner",
                description="Suppliers: price-list import and export, order acceptance, your part of orders.")
SUPPLIER = Role.SUPPLIER
API_STATES = {ImportState.QUEUED: "queued", ImportState.RUNNING: "running", ImportState.SUCCEEDED: "done",
              ImportState.FAILED: "failed", ImportState.PREVIEWED: "previewed"}


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
    dry_run = ma.fields.Boolean(metadata={"description": "Asked for as a preview (`?dry_run=true`)",
                                          "example": False})
    confirmation_required = ma.fields.Boolean(metadata={
        "description": "A plain upload stopped at the preview because it would deactivate more than the allowed "
                       "share of your goods: read its items, then `POST …/apply` to go ahead", "example": False})
    created_at = ma.fields.DateTime(metadata={"example": "2025-01-31T12:00:00+00:00"})
    finished_at = ma.fields.DateTime(allow_none=True, metadata={"example": "2025-01-31T12:00:05+00:00"})


class PreviewItemSchema(ma.Schema):
    action = ma.fields.String(metadata={"enum": ["created", "updated", "deactivated"], "example": "updated"})
    external_id = ma.fields.Integer(metadata={"example": 4216292})
    name = ma.fields.String(metadata={"example": "Смартфон Apple iPhone XS Max 512GB"})
    model = ma.fields.String(metadata={"example": "apple/iphone/xs-max"})
    old_price = ma.fields.Decimal(as_string=True, allow_none=True, metadata={"example": "110000.00"})
    new_price = ma.fields.Decimal(as_string=True, allow_none=True, metadata={"example": "105000.00"})
    changes = ma.fields.Function(lambda item: [c for c in item.changes.split(",") if c], metadata={
        "description": "What differs (updated goods)", "example": ["price", "quantity"]})


class UploadArgs(ma.Schema):
    dry_run = ma.fields.Boolean(load_default=False, metadata={
        "description": "Preview only: validate and compare, write no goods; the import ends `previewed`"})


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


# One body shape per operation: generators cannot build one function for a body that is either a form or JSON.
# The file upload documents multipart only (it still takes the older `{"url": …}` JSON body, undocumented);
# URL imports have their own operation below.
UPLOAD_DOC = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
}}}


class UrlImportSchema(ma.Schema):
    url = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000), metadata={
        "format": "uri", "description": "Where the YAML price list is (a public http(s) address)",
        "example": "https://example.com/price-list.yaml"})


class BadUpload(DomainError):
    status = 422
    code = "validation_error"


@blp.route("/price-list")
class PriceList(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 403, 404, 413, 422)
    @blp.doc(operationId="import_price_list", **UPLOAD_DOC)
    @blp.arguments(UploadArgs, location="query")
    @blp.response(202, ImportCreatedSchema)
    def post(self, args):
        """Queue a price-list import: a YAML file (multipart `file`) or `{"url": …}`; poll the import for the result.

        With `?dry_run=true` the import only previews: it ends `previewed` with its counts and items
        (`GET …/imports/{id}/items`) and writes no goods until `POST …/imports/{id}/apply`. A plain upload that
        would deactivate more than the allowed share of your goods stops at the preview too
        (`confirmation_required: true`)."""
        user, dry_run = current_api_user(), args["dry_run"]
        limit = current_app.config["SUPPLIER_MAX_PRICELIST_BYTES"]
        request.max_content_length = limit + 64 * 1024
        upload = request.files.get("file") if request.mimetype == "multipart/form-data" else None
        if upload is not None:
            job = services.start_file_import(user, upload.filename or "", upload.stream.read(limit + 1), dry_run)
        else:
            body = request.get_json(silent=True) if request.is_json else None
            url = body.get("url") if isinstance(body, dict) else None
            if not isinstance(url, str):
                raise BadUpload(_("Send a YAML file as multipart `file`, or JSON {\"url\": \"https://…\"}."), field="file")
            job = _start_url_import(user, url, dry_run)
        return {"import_id": job.id}

    @auth_required(blp, SUPPLIER)
    @errors(blp, 403, 404)
    @blp.response(200, content_type="application/x-yaml", description="The price list, as imports read it")
    def get(self):
        """Download your current price list (the import format; importing it back changes nothing)."""
        name, text = services.export_now(current_api_user())
        return Response(text, mimetype="application/x-yaml",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _start_url_import(user, url: str, dry_run: bool = False):
    try:
        return services.start_url_import(user, url, dry_run)
    except FetchError as error:
        raise BadUpload(error.message, field="url") from None


@blp.route("/price-list/url")
class PriceListFromUrl(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 403, 404)
    @blp.arguments(UrlImportSchema)
    @blp.response(202, ImportCreatedSchema)
    @blp.doc(operationId="import_price_list_from_url")
    def post(self, data):
        """Queue a price-list import from a URL the shop downloads; poll the import for the result."""
        return {"import_id": _start_url_import(current_api_user(), data["url"]).id}


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


@blp.route("/imports/<id:import_id>/items")
class ImportItems(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 404)
    @blp.arguments(PaginationArgs, location="query")
    @blp.response(200, page_schema(PreviewItemSchema))
    def get(self, args, import_id):
        """The goods a previewed import creates, updates or deactivates (unchanged ones are only counted)."""
        return services.list_import_items(current_api_user(), import_id, args["page"], args["page_size"])


@blp.route("/imports/<id:import_id>/apply")
class ImportApply(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 403, 404, 409)
    @blp.response(202, ImportSchema)
    def post(self, import_id):
        """Apply a previewed import: exactly the file previewed. 409 `goods_changed` if your goods changed since
        the preview (preview again), 409 `not_previewed` if it is not a waiting preview; poll the import."""
        return services.apply_import(current_api_user(), import_id)


@blp.route("/state")
class ShopState(MethodView):
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
class OrderParts(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 404)
    @blp.arguments(PartListArgs, location="query")
    @blp.response(200, page_schema(PartSchema))
    def get(self, args):
        """List your parts of orders (only your own lines, prices and totals), newest first."""
        return services.list_order_parts(current_api_user(), args["page"], args["page_size"], args.get("status"))


PART_ACTIONS = {"confirm": services.confirm_part, "ship": services.ship_part, "deliver": services.deliver_part,
                "cancel": services.cancel_part}


class PartActionSchema(ma.Schema):
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=500),
                            metadata={"description": "For the shopper (ship, deliver, cancel)", "example": "Трек 123"})


@blp.route("/orders/<id:order_id>/<any(confirm, ship, deliver, cancel):action>")
class PartAction(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 403, 404, 409, 422)
    @blp.arguments(PartActionSchema, required=False)
    @blp.response(200, PartSchema)
    @blp.doc(operationId="act_on_order_part")
    def post(self, data, order_id, action):
        """Move your part of an order along its state machine: `confirm` a new part; `ship` it (a confirmed part
        is marked assembled, then sent); `deliver` a sent part; `cancel` it until it is sent (its stock goes back
        on sale; the shopper is told). The order follows its parts once every live part has moved."""
        user, note = current_api_user(), (data or {}).get("note", "")
        if action == "confirm":
            return services.confirm_part(user, order_id, order_link=links.order_page)
        return PART_ACTIONS[action](user, order_id, note, order_link=links.order_page)


class PartPaymentInSchema(ma.Schema):
    amount = ma.fields.Decimal(as_string=True, places=2, required=True, metadata={
        "type": "string", "format": "decimal", "example": "2300.00", "description": "What the courier took"})
    reference = ma.fields.String(load_default="", validate=ma.validate.Length(max=120))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class PartPaymentEventSchema(ma.Schema):
    amount = ma.fields.Decimal(as_string=True, places=2, metadata={"type": "string", "format": "decimal"})
    reference = ma.fields.String()
    note = ma.fields.String()
    created_at = ma.fields.DateTime()


class PartPaymentsSchema(ma.Schema):
    order_id = ma.fields.Integer(metadata={"example": 42})
    method = ma.fields.String(metadata={"example": "cash_on_delivery"})
    collected_by_supplier = ma.fields.Boolean(metadata={"description": "You take the money on delivery"})
    total = ma.fields.Decimal(as_string=True, places=2, metadata={"type": "string", "format": "decimal"})
    paid = ma.fields.Decimal(as_string=True, places=2, metadata={"type": "string", "format": "decimal"})
    due = ma.fields.Decimal(as_string=True, places=2, metadata={"type": "string", "format": "decimal"})
    payments = ma.fields.List(ma.fields.Nested(PartPaymentEventSchema))


@blp.route("/orders/<id:order_id>/payments")
class PartPayments(MethodView):
    @auth_required(blp, SUPPLIER)
    @errors(blp, 404)
    @blp.response(200, PartPaymentsSchema)
    def get(self, order_id):
        """The money for your part of an order: total, taken, still due, and what was recorded."""
        return payments.part_payments(current_api_user(), order_id)

    @auth_required(blp, SUPPLIER)
    @errors(blp, 400, 403, 404, 409)
    @blp.arguments(PartPaymentInSchema)
    @blp.response(201, PartPaymentsSchema)
    def post(self, data, order_id):
        """Record what your courier took on delivery for your part (orders paid on delivery only: 403 otherwise).

        409 `payment_refused` for more than your part has left to pay; 400 `invalid_amount`.
        """
        return payments.record_supplier_payment(current_api_user(), order_id, data["amount"], note=data["note"],
                                                reference=data["reference"])
