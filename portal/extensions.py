"""Extensions, created once and bound to the app in ``create_app``."""
from flask_appbuilder import AppBuilder
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()
# Built inside create_app's call to init_app; a module-level instance is fine because tests use one
# app per session (fab-notes: an AppBuilder cannot be attached to a second app).
appbuilder = AppBuilder()
