"""REST API (/api/v1/...): the same data, the same scope (the ORM listener applies here too)."""
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.models.sqla.interface import SQLAInterface

from portal.grid.models import Grid, Person
from portal.ledger.models import Unit


class GridApi(ModelRestApi):
    resource_name = "grid"
    datamodel = SQLAInterface(Grid)
    list_columns = ["id", "name_zh", "name_mn", "kind", "level", "code", "parent_id", "path", "active"]
    show_columns = list_columns + ["area", "responsible_body", "duties", "tasks", "rewards_penalties"]
    # Read-only: tree edits go through the pages, which check levels and cycles.
    include_route_methods = {"get", "get_list", "info"}
    allow_browser_login = True


class UnitApi(ModelRestApi):
    resource_name = "unit"
    datamodel = SQLAInterface(Unit)
    list_columns = [
        "id", "name", "credit_code", "kind", "industry_code", "scale", "sectors", "grid_id", "management_mode",
        "intake_status", "last_verified",
    ]
    show_columns = list_columns + ["address", "legal_rep", "safety_contact", "phone", "employees", "fire_key"]
    # Writes go through the pages, which validate identifiers and derive the management mode.
    include_route_methods = {"get", "get_list", "info"}
    allow_browser_login = True


class PersonApi(ModelRestApi):
    resource_name = "person"
    datamodel = SQLAInterface(Person)
    # No ID numbers or phones over the API: personal identifiers stay in the pages that log access.
    list_columns = ["id", "name_zh", "name_mn", "role", "grid_id", "badge_no", "status"]
    show_columns = list_columns
    include_route_methods = {"get", "get_list", "info"}
    allow_browser_login = True


def register_apis(appbuilder) -> None:
    appbuilder.add_api(GridApi)
    appbuilder.add_api(UnitApi)
    appbuilder.add_api(PersonApi)
