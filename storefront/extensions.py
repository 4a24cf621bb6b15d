"""Flask extensions, created once and unbound; `create_app` binds them."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_rq import RQ
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from storefront.api.base import StorefrontApi
from storefront.database import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
sock = Sock()
api = StorefrontApi()  # flask-smorest, answering every /api error in the one Storefront shape
rq = RQ()  # bound only when REDIS_URL is set; otherwise jobs run in-process
# Redis away: count in this process instead of failing the request (it rechecks Redis as it goes), and never
# let the limiter's own bookkeeping turn a request into a 500.
limiter = Limiter(
    key_func=get_remote_address, default_limits=[], in_memory_fallback_enabled=True, swallow_errors=True
)
