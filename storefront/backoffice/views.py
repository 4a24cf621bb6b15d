"""Backoffice pages."""

from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/staff")
