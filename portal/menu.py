"""Every view and menu entry, registered in one place."""
from flask_babel import lazy_gettext as _l


def register_views(appbuilder) -> None:
    from portal.grid.tree import CoverageView, GridChartView, GridTreeView
    from portal.grid.views import AssignmentView, GridSearchView, GridView, PersonSearchView, PersonView
    from portal.ledger.views import UnitView
    from portal.ledger.imports import UnitImportView
    from portal.grid.imports import PersonImportView
    from portal.security.views import UserProfileView

    appbuilder.add_view(GridView, "Grids", label=_l("Grids"), icon="fa-sitemap", category="Grid", category_label=_l("Grid management"))
    appbuilder.add_view(GridTreeView, "Grid tree", label=_l("Grid tree"), icon="fa-tree", category="Grid")
    appbuilder.add_view(CoverageView, "Coverage audit", label=_l("Coverage audit"), icon="fa-check-square", category="Grid")
    appbuilder.add_view_no_menu(GridChartView)
    appbuilder.add_view(PersonView, "People", label=_l("People"), icon="fa-users", category="Workforce", category_label=_l("Workforce"))
    appbuilder.add_view(AssignmentView, "Assignments", label=_l("Assignments"), icon="fa-history", category="Workforce")
    appbuilder.add_view(UnitView, "Units", label=_l("Units"), icon="fa-industry", category="Ledger", category_label=_l("Ledger"))
    appbuilder.add_view(UnitImportView, "Import units", label=_l("Import units"), icon="fa-file-import", category="Ledger")
    appbuilder.add_view(PersonImportView, "Import people", label=_l("Import people"), icon="fa-file-import", category="Workforce")
    appbuilder.add_view(UserProfileView, "Scopes", label=_l("User scopes"), icon="fa-user-lock", category="Security")
    appbuilder.add_view_no_menu(GridSearchView)
    appbuilder.add_view_no_menu(PersonSearchView)
    __import__("portal.i18n").i18n.register_views(appbuilder)  # language switch persistence, JS texts, glossary

    __import__("surveys.admin").admin.register_views(appbuilder)
    __import__("portal.reward", fromlist=["register_views"]).register_views(appbuilder)
    __import__("portal.workforce", fromlist=["register_views"]).register_views(appbuilder)
    __import__("portal.jobs", fromlist=["register_views"]).register_views(appbuilder)
    from portal.api import register_apis

    register_apis(appbuilder)
