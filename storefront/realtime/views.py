"""The live socket's blueprint holder: `/ws/live` (sockets.py) is registered with the app through this one."""

from flask import Blueprint

from storefront.realtime.sockets import live_bp

bp = Blueprint("realtime", __name__)
bp.record_once(lambda state: state.app.register_blueprint(live_bp))
