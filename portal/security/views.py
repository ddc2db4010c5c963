"""Admin view of user profiles: which node of the grid (or which sectors) a user works at."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField
from wtforms.validators import Optional

from portal.grid.fields import GridSelectField
from portal.ledger.labels import SECTOR_LABELS
from portal.ledger.models import SECTORS
from portal.security.models import UserProfile
from portal.views_base import PortalModelView


class UserProfileView(PortalModelView):
    datamodel = SQLAInterface(UserProfile)
    list_title = _l("User scopes")
    show_title = _l("User scope")
    add_title = _l("Add user scope")
    edit_title = _l("Edit user scope")
    list_columns = ["user", "grid", "department", "sectors", "locale"]
    search_columns = ["department", "locale"]
    add_columns = ["user", "grid", "department", "sectors", "locale"]
    edit_columns = add_columns
    value_labels = {"sectors": SECTOR_LABELS}
    label_columns = {
        "user": _l("User"),
        "grid": _l("Grid node"),
        "department": _l("Department"),
        "sectors": _l("Sectors"),
        "locale": _l("Language"),
    }
    add_form_extra_fields = {
        "grid": GridSelectField(_l("Grid node"), validators=[Optional()]),
        "locale": SelectField(_l("Language"), choices=[("", ""), ("zh", "中文"), ("mn_Mong_CN", "ᠮᠣᠩᠭᠣᠯ")], validators=[Optional()]),
    }
    edit_form_extra_fields = add_form_extra_fields
