"""The four-level grid (四级网格), the people who staff it and who served where.

One tree holds all four levels. ``path`` is a materialized path of ids (``/1/7/42/``) so "inside the
subtree of node N" is one indexed prefix test (``path LIKE '/1/7/%'``) — the data scope rests on it.
"""
from __future__ import annotations

import enum
import functools

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    select,
    true,
    update,
)
from sqlalchemy.orm import relationship
from sqlalchemy.orm.attributes import set_committed_value

from portal.core.models import TimestampMixin
from portal.security.scope import Scoped


class GridKind(str, enum.Enum):
    banner = "banner"  # 旗
    town = "town"  # 镇
    township = "township"  # 乡
    sumu = "sumu"  # 苏木
    street = "street"  # 街道
    park = "park"  # 园区
    village = "village"  # 村
    gacha = "gacha"  # 嘎查
    community = "community"  # 社区
    basic = "basic"  # 基础网格


KINDS_BY_LEVEL = {
    1: {GridKind.banner},
    2: {GridKind.town, GridKind.township, GridKind.sumu, GridKind.street, GridKind.park},
    3: {GridKind.village, GridKind.gacha, GridKind.community},
    4: {GridKind.basic},
}
LEVEL_OF_KIND = {k.value: lvl for lvl, kinds in KINDS_BY_LEVEL.items() for k in kinds}



@functools.cache
def _localized_name():
    # portal.i18n imports models; resolved once, not on every repr (a grid column shows it per row)
    from portal.i18n import localized_name

    return localized_name


class NamedInBothScripts:
    """Shown by its Mongolian name on Mongolian pages when it has one, else by its Chinese name.
    ``display_columns``/``display_from`` say which columns make the label and how: list pages select
    those instead of the object (portal/listplan.py)."""

    display_columns = ("name_zh", "name_mn")

    @staticmethod
    def display_from(row) -> str:
        return _localized_name()(row)

    def __repr__(self) -> str:
        return self.display_from(self)

    @property
    def display_name(self) -> str:
        return repr(self)


class Grid(NamedInBothScripts, Scoped, TimestampMixin, Model):
    """A node of the grid tree (网格): banner, township-level, village-level or basic grid."""

    __tablename__ = "grid"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("grid.id", ondelete="RESTRICT"), index=True)
    level = Column(Integer, nullable=False)
    kind = Column(String(20), nullable=False, index=True)
    # Materialized path; maintained by the mapper events below, never edited by hand. COLLATE "C" on
    # PostgreSQL: byte order, as SQLite's, so ix_grid_path serves the scope's prefix test
    # (path LIKE '/1/7/%') and keeps a subtree together when sorted (a locale collation ignores '/').
    path = Column(String(255).with_variant(String(255, collation="C"), "postgresql"), nullable=False, default="", index=True)
    code = Column(String(20), index=True)  # 统计用区划代码 (12 digits) or a portal-made code for basic grids
    code_year = Column(Integer)  # release year of the code: codes change between NBS releases
    name_zh = Column(String(100), nullable=False, index=True)
    name_mn = Column(String(200), index=True)
    # 五定: area, people, duties, tasks, rewards/penalties
    area = Column(Text)  # 定区域: boundary description
    responsible_body = Column(String(200))  # 责任主体
    supervisor_body = Column(String(200))  # 监管主体
    duties = Column(Text)  # 定职责
    tasks = Column(Text)  # 定任务
    rewards_penalties = Column(Text)  # 定奖惩
    map_file = Column(String(255))
    active = Column(Boolean, nullable=False, default=True)

    parent = relationship("Grid", remote_side=[id], backref="children", lazy="joined")

    __table_args__ = (Index("ix_grid_level_kind", "level", "kind"),)

    @classmethod
    def subtree_clause(cls, pattern):
        return cls.path.like(pattern)

    @classmethod
    def sector_clause(cls, scope):
        return true()  # departments supervise their sector across all grids

    @classmethod
    def public_clause(cls):
        return cls.active.is_(True)  # grid names and duties are public (notice boards, QR codes)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(x) for x in self.path.strip("/").split("/") if x]


def grid_ids_under(pattern):
    """Ids of the grids whose path matches ``pattern`` ('/1/7/%'): the inner select of the scoped models'
    ``subtree_clause``. It reads the grid table, not the mapped class: through the class, the data scope
    added its own rule to this select again — the same LIKE twice, which PostgreSQL takes for two
    independent filters, so it planned a township's 704 grids as 34 and its 10,540 units as 509 at ×10
    (docs/scaling.md, twelfth round)."""
    grid = Grid.__table__
    return select(grid.c.id).where(grid.c.path.like(pattern)).scalar_subquery()


def _set_path(connection, grid: Grid) -> None:
    parent_path = "/"
    if grid.parent_id is not None:
        parent_path = connection.execute(select(Grid.path).where(Grid.id == grid.parent_id)).scalar_one()
    new_path = f"{parent_path}{grid.id}/"
    old_path = grid.path
    if new_path == old_path:
        return
    connection.execute(update(Grid).where(Grid.id == grid.id).values(path=new_path))
    if old_path:
        # Moving a node moves its subtree: rewrite every descendant's prefix in one statement.
        from sqlalchemy import func, literal

        connection.execute(
            update(Grid)
            .where(Grid.path.like(old_path + "%"), Grid.id != grid.id)
            .values(path=literal(new_path) + func.substr(Grid.path, len(old_path) + 1))
        )
    set_committed_value(grid, "path", new_path)


@event.listens_for(Grid, "after_insert")
def _grid_after_insert(mapper, connection, target):
    _set_path(connection, target)


@event.listens_for(Grid, "after_update")
def _grid_after_update(mapper, connection, target):
    from sqlalchemy import inspect

    if inspect(target).attrs.parent_id.history.has_changes():
        _set_path(connection, target)


class PersonRole(str, enum.Enum):
    grid_worker = "grid_worker"  # 网格员
    grid_head = "grid_head"  # 网格长
    station_staff = "station_staff"  # 安监站工作人员
    office_staff = "office_staff"  # 旗安委办工作人员
    department_staff = "department_staff"  # 行业主管部门工作人员


class Person(NamedInBothScripts, Scoped, TimestampMixin, Model):
    """A grid worker, grid head or staff member (人员). Confidential personal data (R2, R13)."""

    __tablename__ = "person"
    id = Column(Integer, primary_key=True)
    name_zh = Column(String(50), nullable=False, index=True)
    name_mn = Column(String(150), index=True)
    gender = Column(String(10))  # male / female
    ethnicity = Column(String(30))  # 民族
    id_number = Column(String(18), unique=True)  # 居民身份证号, masked in pages unless the role needs it
    mobile = Column(String(20), index=True)
    role = Column(String(30), nullable=False, default=PersonRole.grid_worker.value, index=True)
    village_post = Column(String(100))  # 村内职务
    lives_in_grid = Column(Boolean, default=False, nullable=False)
    badge_no = Column(String(30), unique=True)  # 上岗证号
    kit_issued = Column(Boolean, default=False, nullable=False)
    photo = Column(String(80))  # stored name of a re-encoded JPEG under uploads/person/ (badge photo)
    status = Column(String(20), default="active", nullable=False, index=True)
    grid_id = Column(Integer, ForeignKey("grid.id", ondelete="SET NULL"), index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), unique=True)

    grid = relationship("Grid", lazy="joined")

    @property
    def photo_url(self) -> str:
        from flask import url_for

        return url_for("PersonView.photo", pk=self.id) if self.photo else ""

    @property
    def id_number_masked(self) -> str:
        v = self.id_number or ""
        return v[:3] + "*" * (len(v) - 7) + v[-4:] if len(v) > 7 else ("****" if v else "")

    @classmethod
    def subtree_clause(cls, pattern):
        return cls.grid_id.in_(grid_ids_under(pattern))


class Assignment(Scoped, TimestampMixin, Model):
    """Who served which grid, from when to when (任职记录)."""

    __tablename__ = "assignment"
    id = Column(Integer, primary_key=True)
    person_id = Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True)
    grid_id = Column(Integer, ForeignKey("grid.id", ondelete="RESTRICT"), nullable=False, index=True)
    role = Column(String(30), nullable=False, default=PersonRole.grid_worker.value, index=True)
    start_date = Column(Date, nullable=False, index=True)
    end_date = Column(Date, index=True)
    note = Column(String(200))

    person = relationship("Person", lazy="joined", backref="assignments")
    grid = relationship("Grid", lazy="joined")

    @classmethod
    def subtree_clause(cls, pattern):
        return cls.grid_id.in_(grid_ids_under(pattern))
