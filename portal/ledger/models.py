"""The unit ledger (生产经营单位信息台账)."""
from __future__ import annotations

import enum

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
    or_,
    select,
)
from sqlalchemy.orm import relationship

from portal.core.models import TimestampMixin
from portal.grid.models import Grid, grid_ids_under
from portal.security.scope import Scoped


class UnitKind(str, enum.Enum):
    enterprise = "enterprise"  # 企业
    individual = "individual"  # 个体工商户
    cooperative = "cooperative"  # 农民专业合作社
    school = "school"  # 学校
    kindergarten = "kindergarten"  # 幼儿园
    hospital = "hospital"  # 医院、卫生院、诊所
    market = "market"  # 集贸市场
    supermarket = "supermarket"  # 超市
    park = "park"  # 公园
    scenic_spot = "scenic_spot"  # 景区
    public_institution = "public_institution"  # 机关事业单位
    other = "other"


class Scale(str, enum.Enum):
    large = "large"
    medium = "medium"
    small = "small"
    micro = "micro"


# 高危行业 and the flags sectors often add (reference-data.md).
SECTORS = [
    "mining",  # 矿山/非煤矿山
    "hazardous_chemicals",  # 危险化学品
    "fireworks",  # 烟花爆竹
    "transport",  # 交通运输
    "construction",  # 建筑施工
    "explosives",  # 民用爆炸物品
    "metal_smelting",  # 金属冶炼
    "fishing",  # 渔业生产
    "dust_explosion",  # 粉尘涉爆
    "ammonia_refrigeration",  # 涉氨制冷
    "confined_space",  # 有限空间
    "crowded_place",  # 人员密集场所
]


class ManagementMode(str, enum.Enum):
    key = "key"  # 重点管理
    packaged = "packaged"  # 打包管理


class IntakeStatus(str, enum.Enum):
    draft = "draft"  # 调查摸底（草稿）
    confirmed = "confirmed"  # 单位已确认签字
    approved = "approved"  # 网格长审核通过
    ledger = "ledger"  # 已入台账


class Unit(Scoped, TimestampMixin, Model):
    """A production or business unit (生产经营单位) watched by exactly one basic grid."""

    __tablename__ = "unit"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False, index=True)
    credit_code = Column(String(18), unique=True)  # 统一社会信用代码, optional, unique when given
    kind = Column(String(30), nullable=False, default=UnitKind.enterprise.value, index=True)
    industry_code = Column(String(5), index=True)  # GB/T 4754-2017, e.g. "B" or "C26"
    scale = Column(String(10), index=True)
    sectors = Column(String(300), nullable=False, default="")  # ",mining,dust_explosion," (high-risk flags)
    fire_key = Column(Boolean, nullable=False, default=False, index=True)  # 消防安全重点单位
    address = Column(String(300))
    legal_rep = Column(String(50))  # 法定代表人
    safety_contact = Column(String(50))  # 安全负责人
    phone = Column(String(20))
    employees = Column(Integer)
    grid_id = Column(Integer, ForeignKey("grid.id", ondelete="RESTRICT"), nullable=False, index=True)
    management_mode = Column(String(10), nullable=False, default=ManagementMode.packaged.value, index=True)
    mode_override = Column(String(10))  # a manual key/packaged that wins over the rule
    mode_override_reason = Column(String(300))
    intake_status = Column(String(12), nullable=False, default=IntakeStatus.draft.value, index=True)
    last_verified = Column(Date, index=True)
    note = Column(Text)

    grid = relationship(Grid, lazy="joined")

    __table_args__ = (Index("ix_unit_grid_status", "grid_id", "intake_status"),)

    #: the columns its label is made of, and how (list pages select these instead of the object)
    display_columns = ("name",)

    @staticmethod
    def display_from(row) -> str:
        return row.name

    def __repr__(self) -> str:
        return self.display_from(self)

    @property
    def sector_list(self) -> list[str]:
        return [s for s in (self.sectors or "").split(",") if s]

    @sector_list.setter
    def sector_list(self, values) -> None:
        vals = [v for v in SECTORS if v in set(values or [])]
        self.sectors = ("," + ",".join(vals) + ",") if vals else ""

    @classmethod
    def subtree_clause(cls, pattern):
        return cls.grid_id.in_(grid_ids_under(pattern))

    @classmethod
    def sector_clause(cls, scope):
        if not scope.sectors:
            from sqlalchemy import false

            return false()
        return or_(*[cls.sectors.like(f"%,{s},%") for s in scope.sectors])
