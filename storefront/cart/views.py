"""Cart pages."""

from flask import Blueprint

bp = Blueprint("cart", __name__, url_prefix="/cart")
