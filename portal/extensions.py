"""Extension objects, created unbound here and bound in create_app."""

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from portal.db import Database

db = Database()
csrf = CSRFProtect()
htmx = HTMX()
login_manager = LoginManager()
# Keyed on the client address as ProxyFix has corrected it; stored in Redis when REDIS_URL is
# set (RATELIMIT_STORAGE_URI), so the limit holds across several gunicorn workers.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
