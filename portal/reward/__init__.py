"""Whistleblower tip-offs, reward claims and the sealed reporter identity (R13, R14)."""


def register_views(appbuilder) -> None:
    from portal.reward.views import register_views as _register

    _register(appbuilder)


def register_public(app) -> None:
    from portal.reward.public import register_public as _register

    _register(app)
