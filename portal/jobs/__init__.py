"""Background jobs (后台任务): large exports and imports run outside the request, with progress."""


def register_views(appbuilder) -> None:
    from portal.jobs.views import JobView

    appbuilder.add_view_no_menu(JobView)
