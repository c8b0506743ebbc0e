"""costing: budgets for government purchase of social-work services in Chongqing."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(ROOT / "instance"))
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("COSTING_SECRET_KEY", "dev-only-change-me"),
        MAX_CONTENT_LENGTH=6 * 1024 * 1024,
        JSON_AS_ASCII=False,
    )
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from .web import filters, views
    filters.register(app)
    app.register_blueprint(views.bp)
    views.register_errors(app)
    return app
