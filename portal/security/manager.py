"""The portal's security manager: one-query user load, account lockout, login log."""
from __future__ import annotations

import functools
import logging

from flask import current_app, g, has_request_context, request, session
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import Group, User
from flask_login import LoginManager, current_user
from flask_login.config import COOKIE_NAME
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from portal.security.kept_users import KeptUsers
from portal.security.scope import request_cache

log = logging.getLogger("portal.security")
_UNSET = object()


@functools.cache
def _user_statement():
    # Built once: the statement and its options are immutable, and SQLAlchemy keeps the cache key it
    # computed on the object, so each request only binds the id.
    return (
        select(User)
        .where(User.id == bindparam("pk"))
        .options(
            joinedload(User.roles),
            joinedload(User.groups).joinedload(Group.roles),
            joinedload(User.profile),
        )
        .execution_options(skip_scope=True)
    )


class PortalLoginManager(LoginManager):
    """Flask-Login's manager, leaving sessions nobody is logged into alone.

    Its session protection compares a hash of the client's address and browser with the one stored at
    login; a session without a login has none, so every such session — a public questionnaire's, which
    holds only its CSRF token — was marked "not fresh" on its first check, and its cookie signed and
    sent again. With no user in the session and no remember-me cookie there is nothing to protect.
    """

    def _session_protection_failed(self):
        if "_user_id" not in session and current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) not in request.cookies:
            return False
        return super()._session_protection_failed()


class PortalSecurityManager(SecurityManager):
    # Lock an account after this many failed logins in a row (FAB only counts them, issue #693).
    max_failed_logins = 10
    # FAB's user statistics chart loads Google Charts from the internet and has English labels.
    userstatschartview = None

    @functools.cached_property
    def kept_users(self) -> KeptUsers:
        return KeptUsers(_user_statement())

    def create_login_manager(self, app) -> LoginManager:
        # FAB's own (security/manager.py), with the class above
        lm = PortalLoginManager(app)
        lm.login_view = "login"
        lm.user_loader(self.load_user)
        return lm

    def load_user(self, pk):
        # Roles, groups (with their roles) and the profile (with its grid) in ONE statement, run again
        # only when the auth version moved (portal/security/kept_users.py); users have a handful of
        # roles and groups, so the joined rows stay few.
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            return None
        user = self.kept_users.load(self.session, pk)
        if user is not None and user.is_active:
            return user
        return None

    def auth_user_db(self, username, password):
        user = self.find_user(username=username)
        if user is not None and not user.is_active:
            return None
        result = super().auth_user_db(username, password)
        if result is None and user is not None and (user.fail_login_count or 0) >= self.max_failed_logins:
            user.active = False
            self.session.commit()
            log.warning("account %s locked after %s failed logins", username, user.fail_login_count)
        return result

    def has_access(self, permission_name, view_name):
        # A list page asks ~11 times (buttons, actions, links); FAB resolves the user through two
        # proxies, re-checks API-key and JWT users and re-attaches the user on every ask. Which case
        # applies is decided once per request; a logged-in user whose roles are all builtin then gets
        # the memoised answer of ``_has_view_access`` directly (a miss goes FAB's way and fills it).
        if has_request_context():
            cache = request_cache()
            roles = cache.get("access_roles", _UNSET)
            if roles is _UNSET:
                roles = cache["access_roles"] = self._builtin_roles_key()
            if roles is not None:
                try:
                    return self._builtin_access[roles, permission_name, view_name]
                except (AttributeError, KeyError):
                    pass
        return super().has_access(permission_name, view_name)

    def _builtin_roles_key(self):
        """The key of the memo of ``_has_view_access`` for this request's user, or None when FAB's own
        path must answer (API-key or JWT user, anonymous, inactive, or a role kept in the database)."""
        if getattr(g, "_api_key_user", False) or not current_user.is_authenticated:
            return None
        user = g.user
        if user is None or not user.is_active:
            return None
        roles = self.get_user_roles(user)
        if not all(r.name in self.builtin_roles for r in roles):
            return None
        return tuple(sorted(r.name for r in roles))

    def _has_view_access(self, user, permission_name, view_name):
        # Builtin roles are configuration (portal/security/roles.py): their answer for a (roles,
        # permission, view) never changes while the process runs, so it is computed once — FAB tests
        # each role's regular expressions on every check. Users with a role kept in the database are
        # asked FAB's way every time (a role's permissions may be edited).
        roles = self.get_user_roles(user)
        builtin = self.builtin_roles
        if not all(r.name in builtin for r in roles):
            return super()._has_view_access(user, permission_name, view_name)
        key = (tuple(sorted(r.name for r in roles)), permission_name, view_name)
        try:
            return self._builtin_access[key]
        except AttributeError:
            self._builtin_access = {}
        except KeyError:
            pass
        allowed = any(self._has_access_builtin_roles(r, permission_name, view_name) for r in roles)
        if len(self._builtin_access) < 100_000:
            self._builtin_access[key] = allowed
        return allowed

    def get_user_roles(self, user):
        if not user.is_authenticated:
            return [self.get_public_role()]
        cache = request_cache() if has_request_context() else {}
        cached = cache.get("roles")
        if cached is not None and cached[0] == user.id:
            return cached[1]
        roles = list(user.roles) + [r for grp in user.groups for r in grp.roles]
        cache["roles"] = (user.id, roles)
        return roles

    def get_public_role(self):
        # Cached per request: FAB queries ab_role on every anonymous permission check.
        cache = request_cache() if has_request_context() else {}
        cached = cache.get("public_role")
        if cached is None:
            cached = super().get_public_role()
            cache["public_role"] = cached
        return cached
