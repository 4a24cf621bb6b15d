"""/api/v1: shops' legal details (the supplier's own, and any shop's for staff), staff exports of orders, users
and products, and a supplier's CSV of its own order parts. The same services as the pages
(`documents.legal`, `documents.exports`)."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, url_for
from flask.views import MethodView

from storefront.accounts.models import Role
from storefront.api.admin import OrderListArgs
from storefront.api.auth import auth_required, current_api_user
from storefront.api.blueprint import Blueprint
from storefront.api.docs import errors
from storefront.documents import exports, legal
from storefront.orders import reports
from storefront.orders.models import OrderStatus
from storefront.suppliers import services as suppliers

blp = Blueprint("api_documents", __name__, url_prefix="/api/v1",
                description="Documents: shops' legal details and the exports (CSV, XLSX).")


class LegalDetailsSchema(ma.Schema):
    shop_id = ma.fields.Integer(dump_only=True, metadata={"example": 3})
    legal_name = ma.fields.String(required=True, validate=ma.validate.Length(max=300),
                                  metadata={"example": "ООО «Электролайн»"})
    inn = ma.fields.String(required=True, validate=ma.validate.Length(max=20), metadata={"example": "7707083893"})
    kpp = ma.fields.String(load_default="", validate=ma.validate.Length(max=20),
                           metadata={"description": "Companies only; empty for a sole trader", "example": "773601001"})
    ogrn = ma.fields.String(required=True, validate=ma.validate.Length(max=20), metadata={"example": "1027700132195"})
    legal_address = ma.fields.String(required=True, validate=ma.validate.Length(max=500),
                                     metadata={"example": "117997, г. Москва, ул. Вавилова, д. 19"})
    bank_name = ma.fields.String(required=True, validate=ma.validate.Length(max=300),
                                 metadata={"example": "ПАО Сбербанк"})
    bik = ma.fields.String(required=True, validate=ma.validate.Length(max=20), metadata={"example": "044525225"})
    account = ma.fields.String(required=True, validate=ma.validate.Length(max=30),
                               metadata={"example": "40702810938000000001"})
    vat_rate = ma.fields.Integer(required=True, allow_none=True, metadata={
        "description": f"Percent, one of {list(legal.VAT_RATES)}; null = без НДС", "example": 20})


class ExportArgs(OrderListArgs):
    format = ma.fields.String(load_default="csv", validate=ma.validate.OneOf(list(exports.FORMATS)))


class ExportQueuedSchema(ma.Schema):
    token = ma.fields.String(metadata={"example": "0f3c…"})
    rows = ma.fields.Integer(metadata={"example": 120000})
    status_url = ma.fields.String(metadata={"example": "/api/v1/exports/0f3c…"})


class ExportStatusSchema(ma.Schema):
    state = ma.fields.String(metadata={"enum": ["pending", "ready", "failed"], "example": "ready"})
    progress = ma.fields.Integer(metadata={"example": 100})
    download_url = ma.fields.Function(lambda s: s.get("download_url"), allow_none=True)


class PartExportArgs(ma.Schema):
    status = ma.fields.Enum(OrderStatus, by_value=True)


def _file(table: exports.Table, fmt: str, kind: str, filters: dict):
    """The file now, or (large) 202 and the job's token to poll."""
    if exports.needs_job(table):
        token = exports.start_export(current_api_user(), kind, fmt, filters)
        return {"token": token, "rows": table.count,
                "status_url": url_for("api_documents.ExportById", token=token)}, 202
    return Response(exports.render(table, fmt), mimetype=exports.FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{exports.file_name(table, fmt)}"'})


@blp.route("/partner/legal-details")
class PartnerLegalDetails(MethodView):
    @auth_required(blp, Role.SUPPLIER)
    @errors(blp, 404)
    @blp.response(200, LegalDetailsSchema)
    def get(self):
        """Your shop's legal details (printed on its invoices and packing slips; empty until filled in)."""
        user = current_api_user()
        return legal.get_legal_details(user, suppliers.shop_of(user).id)

    @auth_required(blp, Role.SUPPLIER)
    @errors(blp, 403, 404, 422)
    @blp.arguments(LegalDetailsSchema)
    @blp.response(200, LegalDetailsSchema)
    def put(self, data):
        """Replace your shop's legal details (ИНН, ОГРН and the account checked; 422 names every wrong field)."""
        user = current_api_user()
        return legal.update_legal_details(user, suppliers.shop_of(user).id, data)


@blp.route("/admin/shops/<id:shop_id>/legal-details")
class AdminLegalDetails(MethodView):
    @auth_required(blp, Role.STAFF)
    @errors(blp, 404)
    @blp.response(200, LegalDetailsSchema)
    def get(self, shop_id):
        """A shop's legal details (staff)."""
        return legal.get_legal_details(current_api_user(), shop_id)

    @auth_required(blp, Role.STAFF)
    @errors(blp, 404, 422)
    @blp.arguments(LegalDetailsSchema)
    @blp.response(200, LegalDetailsSchema)
    def put(self, data, shop_id):
        """Replace a shop's legal details (staff; the same checks as the supplier's)."""
        return legal.update_legal_details(current_api_user(), shop_id, data)


EXPORT_DOC = {"responses": {"200": {"description": "The file (CSV: UTF-8 with BOM; XLSX)"},
                            "202": {"description": "Large: a job prepares it; poll `status_url`"}}}


@blp.route("/admin/exports/orders")
class OrdersExport(MethodView):
    @auth_required(blp, Role.STAFF)
    @blp.arguments(ExportArgs, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args):
        """Every order matching the list's filters, as CSV or XLSX (`format`)."""
        fmt = args.pop("format")
        args.pop("page", None)
        args.pop("page_size", None)
        filters = reports.OrderFilters(**args)
        values = {k: (v.value if hasattr(v, "value") else v.isoformat() if hasattr(v, "isoformat") else v)
                  for k, v in args.items() if v not in (None, "")}
        return _file(exports.orders_table(current_api_user(), filters), fmt, "orders", values)


@blp.route("/admin/exports/<kind>")
class StaffExport(MethodView):
    @auth_required(blp, Role.STAFF)
    @errors(blp, 404)
    @blp.arguments(ma.Schema.from_dict({"format": ma.fields.String(
        load_default="csv", validate=ma.validate.OneOf(list(exports.FORMATS)))})(), location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args, kind):
        """Every user (`users`), or every product with each shop's offer (`products`), as CSV or XLSX (`format`)."""
        if kind not in ("users", "products"):
            raise exports.ExportNotFound("No such export.")
        return _file(exports.table_for(current_api_user(), kind, {}), args["format"], kind, {})


@blp.route("/partner/orders/export.csv")
class PartsExport(MethodView):
    @auth_required(blp, Role.SUPPLIER)
    @errors(blp, 404)
    @blp.arguments(PartExportArgs, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args):
        """Your parts of orders as CSV, one row per line (optionally one status)."""
        status = args.get("status")
        table = exports.parts_table(current_api_user(), status)
        return _file(table, "csv", "parts", {"status": status.value if status else None})


@blp.route("/exports/<token>")
class ExportById(MethodView):
    @auth_required(blp)
    @errors(blp, 404)
    @blp.response(200, ExportStatusSchema)
    def get(self, token):
        """A prepared export of yours: state, progress, and the download URL once ready."""
        status = exports.export_status(current_api_user(), token)
        ready = status.state == "ready"
        return {"state": status.state, "progress": status.progress,
                "download_url": url_for("api_documents.ExportFile", token=token) if ready else None}


@blp.route("/exports/<token>/file")
class ExportFile(MethodView):
    @auth_required(blp)
    @errors(blp, 404)
    def get(self, token):
        """Download a prepared export of yours."""
        path, name, mimetype = exports.export_download(current_api_user(), token)
        return Response(path.read_bytes(), mimetype=mimetype,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
