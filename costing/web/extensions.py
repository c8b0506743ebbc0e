"""Flask extensions: migrations, log-in sessions, CSRF protection on every form."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from ..accounts import service as accounts
from ..models import db
from ..paths import ROOT


class RowId(IntegerConverter):
    """A row id in a URL: 1 to 2^31 − 1 (PostgreSQL's integer); anything else is a 404."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()

login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str):
    """The session's user while the session stands (same session version, account active): else signed out."""
    return accounts.session_user(user_id)


def init_app(app) -> None:
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
