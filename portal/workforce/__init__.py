"""Workforce (R9–R12): leave and attendance, meetings, training, badges and kits."""
from flask_babel import lazy_gettext as _l


def register_views(appbuilder) -> None:
    from portal.workforce.badges import BadgeView
    from portal.workforce.pages import AttendanceView, AwayView, StationView, TrainingCoverageView
    from portal.workforce.views import (
        KitIssueView,
        LeaveRequestView,
        MeetingAttendanceView,
        MeetingView,
        TrainingAttendanceView,
        TrainingSessionView,
        UnreportedAbsenceView,
    )

    cat = "Workforce"
    appbuilder.add_view(StationView, "Station", label=_l("Station"), icon="fa-building", category=cat)
    appbuilder.add_view(LeaveRequestView, "Leave requests", label=_l("Leave requests"), icon="fa-plane", category=cat)
    appbuilder.add_view(
        UnreportedAbsenceView, "Unreported absences", label=_l("Unreported absences"), icon="fa-exclamation-triangle",
        category=cat,
    )
    appbuilder.add_view(AwayView, "Who is away", label=_l("Who is away"), icon="fa-calendar", category=cat)
    appbuilder.add_view(AttendanceView, "Attendance", label=_l("Attendance"), icon="fa-check-square", category=cat)
    appbuilder.add_view(MeetingView, "Meetings", label=_l("Meetings"), icon="fa-comments", category=cat)
    appbuilder.add_view_no_menu(MeetingAttendanceView)
    appbuilder.add_view(
        TrainingSessionView, "Training sessions", label=_l("Training sessions"), icon="fa-graduation-cap", category=cat
    )
    appbuilder.add_view_no_menu(TrainingAttendanceView)
    appbuilder.add_view(
        TrainingCoverageView, "Training coverage", label=_l("Training coverage"), icon="fa-user-check", category=cat
    )
    appbuilder.add_view(BadgeView, "Badges", label=_l("Badges"), icon="fa-id-card", category=cat)
    appbuilder.add_view(KitIssueView, "Kit register", label=_l("Kit register"), icon="fa-toolbox", category=cat)
