"""Whistleblower tip-offs (举报) and reward claims (举报奖励), R13/R14.

The reporter's identity is sealed: name, phone and contact are stored only as Fernet tokens
(``*_enc`` columns, see ``crypto.py``) and the PIN only as a salted hash.

Scope (who sees a tip-off): NOT the grid the report is about. A report may concern the local station
itself, so it is visible only where the committee office assigned it — the township station
(``assigned_grid``, level 2) or an industry department (``assigned_sector``). Until triage, and for
reports without a grid, only the committee office (unrestricted scope) and Admin see it.
"""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    select,
)
from sqlalchemy.orm import relationship

from portal.core.models import TimestampMixin, utcnow
from portal.grid.models import Grid, grid_ids_under
from portal.security.scope import Scoped

# Unambiguous alphabet (no 0/O, 1/I/L): codes are read aloud and typed on phones.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
PIN_LENGTH = 8

TIPOFF_STATES = ["submitted", "triaged", "verifying", "verified_true", "verified_partly", "not_found", "duplicate", "closed"]
VERIFIED_VERDICTS = {"verified_true", "verified_partly"}
CLAIM_STATES = ["proposed", "reviewed", "approved", "rejected", "paid"]


def _in_subtree(column, pattern):
    return column.in_(grid_ids_under(pattern))


class TipOff(Scoped, TimestampMixin, Model):
    """A tip-off (举报线索) from the public page or filed by a grid worker."""

    __tablename__ = "tipoff"
    __public_write__ = True  # anonymous visitors may file one (and nothing else)

    id = Column(Integer, primary_key=True)
    tracking_code = Column(String(CODE_LENGTH), nullable=False, unique=True)
    pin_hash = Column(String(255), nullable=False)
    # Wrong-PIN counter per tracking code, in the DB so it holds across workers.
    pin_failures = Column(Integer, nullable=False, default=0)
    pin_locked_until = Column(DateTime)
    status = Column(String(20), nullable=False, default="submitted", index=True)
    verdict = Column(String(20))  # verified_true / verified_partly / not_found / duplicate, kept after closing
    channel = Column(String(10), nullable=False, default="public")  # public | portal
    what = Column(Text, nullable=False)
    where_text = Column(String(300))
    grid_id = Column(Integer, ForeignKey("grid.id", ondelete="SET NULL"), index=True)
    occurred_on = Column(Date)
    anonymous = Column(Boolean, nullable=False, default=True)
    reporter_name_enc = Column(Text)
    reporter_phone_enc = Column(Text)
    reporter_contact_enc = Column(Text)
    assigned_grid_id = Column(Integer, ForeignKey("grid.id", ondelete="SET NULL"), index=True)
    assigned_sector = Column(String(40), index=True)
    public_reply = Column(Text)  # what the reporter reads on the status page
    # A later hazard record (portal.hazard) can be linked here.
    hazard_id = Column(Integer, index=True)
    case_ref = Column(String(50))

    grid = relationship(Grid, foreign_keys=[grid_id], lazy="joined")
    assigned_grid = relationship(Grid, foreign_keys=[assigned_grid_id], lazy="joined")
    photos = relationship("TipOffPhoto", back_populates="tipoff", order_by="TipOffPhoto.id", lazy="selectin")
    claim = relationship("RewardClaim", back_populates="tipoff", uselist=False, lazy="selectin")

    def __repr__(self) -> str:
        return self.display_code

    @property
    def display_code(self) -> str:
        c = self.tracking_code or ""
        return f"{c[:5]}-{c[5:]}" if len(c) == CODE_LENGTH else c

    @property
    def has_identity(self) -> bool:
        return bool(self.reporter_name_enc or self.reporter_phone_enc or self.reporter_contact_enc)

    @classmethod
    def subtree_clause(cls, pattern):
        return _in_subtree(cls.assigned_grid_id, pattern)

    @classmethod
    def sector_clause(cls, scope):
        return cls.assigned_sector.in_(scope.sectors) if scope.sectors else false()

    def scope_grid(self, session):
        """Grid a write is checked against: the assigned station, else the grid it is about."""
        if self.assigned_grid_id:
            return self.assigned_grid or session.get(Grid, self.assigned_grid_id)
        if self.grid_id:
            return self.grid or session.get(Grid, self.grid_id)
        return None


class TipOffPhoto(Scoped, Model):
    """A photo of the report or of a handling step (re-encoded: no EXIF, no camera owner)."""

    __tablename__ = "tipoff_photo"
    __public_write__ = True

    id = Column(Integer, primary_key=True)
    tipoff_id = Column(Integer, ForeignKey("tipoff.id", ondelete="CASCADE"), nullable=False, index=True)
    step = Column(String(30), nullable=False, default="report")  # "report" or the workflow action
    stored_name = Column(String(120), nullable=False)
    content_type = Column(String(40), nullable=False)
    size = Column(Integer, nullable=False)
    uploaded_on = Column(DateTime, nullable=False, default=utcnow)

    tipoff = relationship(TipOff, back_populates="photos")

    @classmethod
    def subtree_clause(cls, pattern):
        tip = TipOff.__table__  # the table: the scope adds no second copy of its rule (grid_ids_under)
        return cls.tipoff_id.in_(select(tip.c.id).where(_in_subtree(tip.c.assigned_grid_id, pattern)).scalar_subquery())

    @classmethod
    def sector_clause(cls, scope):
        return cls.tipoff_id.in_(select(TipOff.id).where(TipOff.sector_clause(scope)).scalar_subquery())

    def scope_grid(self, session):
        tip = self.tipoff or session.get(TipOff, self.tipoff_id)
        return tip.scope_grid(session) if tip is not None else None


class RewardScale(TimestampMixin, Model):
    """A reward rule (奖励标准): fixed amount or a percentage of the fine, within a minimum and maximum."""

    __tablename__ = "reward_scale"
    id = Column(Integer, primary_key=True)
    category = Column(String(40), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    basis = Column(String(20), nullable=False, default="fixed")  # fixed | percent_of_fine
    fixed_amount = Column(Numeric(12, 2))
    percentage = Column(Numeric(5, 2))
    minimum = Column(Numeric(12, 2))
    maximum = Column(Numeric(12, 2))
    active = Column(Boolean, nullable=False, default=True)
    note = Column(Text)

    def __repr__(self) -> str:
        return self.name


class RewardClaim(Scoped, TimestampMixin, Model):
    """A reward for a verified tip-off: proposed → reviewed (handler) → approved/rejected (office) → paid."""

    __tablename__ = "reward_claim"
    id = Column(Integer, primary_key=True)
    tipoff_id = Column(Integer, ForeignKey("tipoff.id", ondelete="RESTRICT"), nullable=False)
    scale_id = Column(Integer, ForeignKey("reward_scale.id", ondelete="RESTRICT"), nullable=False)
    status = Column(String(20), nullable=False, default="proposed", index=True)
    fine_amount = Column(Numeric(12, 2))
    proposed_amount = Column(Numeric(12, 2), nullable=False)
    amount = Column(Numeric(12, 2))  # after the handler's review
    proposed_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    reviewer_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    reviewed_on = Column(DateTime)
    approver_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    decided_on = Column(DateTime)
    decision_note = Column(Text)
    paid_on = Column(Date)
    pay_method = Column(String(30))
    pay_reference = Column(String(100))

    tipoff = relationship(TipOff, back_populates="claim", lazy="joined")
    scale = relationship(RewardScale, lazy="joined")

    # One claim per tip-off, enforced by the database (two clicks, two workers: still one claim).
    __table_args__ = (UniqueConstraint("tipoff_id", name="uq_reward_claim_tipoff"),)

    def __repr__(self) -> str:
        return f"{self.tipoff.display_code if self.tipoff else self.tipoff_id}"

    @property
    def tracking_code(self) -> str:
        return self.tipoff.display_code if self.tipoff else ""

    @classmethod
    def subtree_clause(cls, pattern):
        tip = TipOff.__table__  # the table: the scope adds no second copy of its rule (grid_ids_under)
        return cls.tipoff_id.in_(select(tip.c.id).where(_in_subtree(tip.c.assigned_grid_id, pattern)).scalar_subquery())

    @classmethod
    def sector_clause(cls, scope):
        return cls.tipoff_id.in_(select(TipOff.id).where(TipOff.sector_clause(scope)).scalar_subquery())

    def scope_grid(self, session):
        tip = self.tipoff or session.get(TipOff, self.tipoff_id)
        return tip.scope_grid(session) if tip is not None else None
