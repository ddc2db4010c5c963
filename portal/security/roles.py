"""Portal roles (角色) and what each may do.

Roles are Flask-AppBuilder "builtin" roles: permissions are matched by regular expression in memory,
so checking a permission never costs a query (FAB's database roles cost one query per check).
*Which rows* a role sees is decided separately, by the data scope (``portal.security.scope``).
"""
ADMIN = "Admin"
COMMITTEE_OFFICE = "CommitteeOffice"  # 旗安委办: everything in the banner
INDUSTRY_DEPT = "IndustryDept"  # 行业主管部门: units of its sectors, read-only
STATION_STAFF = "StationStaff"  # 乡镇苏木街道安监站: its township's subtree
GRID_HEAD = "GridHead"  # 网格长: its village's subtree
GRID_WORKER = "GridWorker"  # 网格员: its own basic grid
PUBLIC = "Public"

PORTAL_ROLES = [ADMIN, COMMITTEE_OFFICE, INDUSTRY_DEPT, STATION_STAFF, GRID_HEAD, GRID_WORKER]
# Roles whose scope is a subtree of the grid; the user's profile names the node.
SUBTREE_ROLES = {STATION_STAFF: 2, GRID_HEAD: 3, GRID_WORKER: 4}
UNRESTRICTED_ROLES = {ADMIN, COMMITTEE_OFFICE}

_READ = r"^(can_list|can_show|can_export|can_tree|can_chart|menu_access|can_get|can_info)$"
_WRITE = (
    r"^(can_list|can_show|can_add|can_edit|can_delete|can_export|can_import|can_tree|can_chart"
    r"|can_coverage|menu_access|can_get|can_info|can_post|can_put|can_delete|can_transition"
    r"|can_this_form_get|can_this_form_post|can_userinfo|can_review|can_approve|can_confirm"
    r"|can_reject|can_submit|can_api_search|can_download|confirm|approve|enter_ledger|reject|cancel)$"
)
_SELF = [
    ["^UserInfoEditView$", r"^(can_this_form_get|can_this_form_post)$"],
    ["^(UserDBModelView)$", r"^(can_userinfo|userinfoedit)$"],
    ["^ResetMyPasswordView$", r"^(can_this_form_get|can_this_form_post)$"],
    ["^(UserInfo|Personal|Resetmypassword)$", "^menu_access$"],
    ["^JobView$", r"^(can_list|can_show|can_download)$"],  # my background jobs (ownership-checked)
]

# Views that are domain data (not security administration).
_DOMAIN = r"^(?!(UserDBModelView|RoleModelView|PermissionModelView|ViewMenuModelView|PermissionViewModelView|GroupModelView|RegisterUserModelView|UserProfileView|List Users|List Roles|List Groups|Security|Base Permissions|Views/Menus|Permission on Views/Menus|Scopes|GlossaryView|Glossary|CampaignView|SurveyAdminView)$).*"
# Surveys: the office runs campaigns and edits questionnaires; stations and villages read statistics
# (of their own subtree, by the data scope) and print QR posters.
_SURVEYS = r"^(CampaignView|SurveyAdminView|Surveys|Survey campaigns)$"
_SURVEY_READ = [_SURVEYS, r"^(can_list|can_show|can_stats|can_poster|menu_access)$"]

FAB_ROLES = {
    ADMIN: [[".*", ".*"]],
    COMMITTEE_OFFICE: [[_DOMAIN, ".*"], [_SURVEYS, ".*"], *_SELF],
    INDUSTRY_DEPT: [
        [r"^(UnitView|UnitApi|GridView|GridApi|GridTreeView|Ledger|Grid|Units|Grids|Grid tree|Home)$", _READ],
        # Tip-offs assigned to the department's sectors: read and verify (scope picks the rows).
        [r"^(TipOffView|TipOffApi|Tip-offs)$", r"^(can_list|can_show|can_transition|menu_access|can_get|can_info)$"],
        *_SELF,
    ],
    STATION_STAFF: [[_DOMAIN, _WRITE], _SURVEY_READ, *_SELF],
    GRID_HEAD: [[_DOMAIN, _WRITE], _SURVEY_READ, *_SELF],
    GRID_WORKER: [
        [r"^(UnitView|UnitApi|UnitImportView|Ledger|Units|Import units|Home)$",
         r"^(can_list|can_show|can_add|can_edit|can_export|can_import|menu_access|can_get|can_info|can_post|can_put|confirm)$"],
        [r"^(GridView|GridApi|GridTreeView|PersonView|PersonApi|Grid|Grids|Grid tree|People|Workforce)$", _READ],
        [r"^(TipOffFileView|Tip-offs|File a tip-off)$", r"^(can_add|menu_access)$"],
        [r"^(LeaveRequestView|Leave requests)$", r"^(can_list|can_show|can_add|menu_access|cancel)$"],
        *_SELF,
    ],
    PUBLIC: [],
}
