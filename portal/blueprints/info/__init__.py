"""News, directory, help and search on the customs portal (F-80 … F-82); the wallet's pages
are in `wallet.py` (blueprint `info_wallet`), both through the views of `pages.py`."""

from flask import Blueprint

bp = Blueprint("info", __name__)

from portal.blueprints.info import routes  # noqa: E402,F401
