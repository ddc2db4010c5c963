"""What FAB's user lacks: the node of the grid a user works at, their sectors, their language.

A one-to-one profile beside ``ab_user`` rather than a subclass of FAB's User, so FAB's own security
views keep working unchanged.
"""
from __future__ import annotations

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from portal.grid.models import Grid


class UserProfile(Model):
    """A user's place in the grid (用户数据范围): the subtree they may see, or their sectors."""

    __tablename__ = "user_profile"
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    grid_id = Column(Integer, ForeignKey("grid.id", ondelete="SET NULL"), index=True)
    sectors = Column(String(300), nullable=False, default="")  # for industry departments
    department = Column(String(100), index=True)
    locale = Column(String(20), index=True)  # preferred interface language

    user = relationship(User)
    grid = relationship(Grid, lazy="joined")

    @property
    def sector_list(self) -> list[str]:
        return [s for s in (self.sectors or "").split(",") if s]

    def __repr__(self) -> str:
        return f"profile:{self.user_id}"


# One profile per user, loaded with the user in one query (see PortalSecurityManager.load_user).
User.profile = relationship(UserProfile, uselist=False, lazy="joined", viewonly=True)
