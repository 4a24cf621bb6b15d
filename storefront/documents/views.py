"""Prepared exports (large ones, written by a job): start, watch the progress, download. For whoever asked:
staff (orders, users, products) and suppliers (their own order parts); the pages that offer the exports are
the back-office's and the portal's."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from storefront.documents import exports
from storefront.documents.forms import ExportForm
from storefront.htmx import render_page_or_partial

bp = Blueprint("documents", __name__, url_prefix="/exports")


def _user():
    return current_user._get_current_object()


@bp.post("")
@login_required
def start_export():
    """Queue the export job, then show its progress."""
    form = ExportForm()
    try:
        filters = json.loads(form.filters.data or "{}") if form.validate() else None
    except ValueError:
        filters = None
    if not isinstance(filters, dict):
        flash(_("The form expired; please try again."), "error")
        return redirect(request.referrer or url_for("catalog.index"), 303)
    token = exports.start_export(_user(), form.kind.data, form.format.data, filters)
    return redirect(url_for("documents.show_export", token=token), 303)


@bp.get("/<token>")
@login_required
def show_export(token: str):
    """An export job: its percentage while it runs (the partial polls itself), then the download link."""
    status = exports.export_status(_user(), token)
    return render_page_or_partial("documents/export_job.html", "documents/_export_job.html", token=token,
                                  status=status)


@bp.get("/<token>/file")
@login_required
def download_export(token: str):
    path, name, mimetype = exports.export_download(_user(), token)
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)
