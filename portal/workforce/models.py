"""Workforce records: leave, attendance, meetings, training, kits (R9–R12).

Every row hangs off a person or a grid node, so the data scope follows the grid tree: a station sees
its township's records, a grid head its village's.
"""
from __future__ import annotations

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
    UniqueConstraint,
    func,
    or_,
    select,
)
from sqlalchemy.orm import column_property, relationship

from portal.core.models import TimestampMixin
from portal.grid.models import Grid, Person, grid_ids_under
from portal.security.scope import Scoped


# Scope rules take the subtree's path pattern ('/1/7/%') only as a bound value: the scope listener
# rebuilds them per entity and alias inside a criteria lambda (portal.security.scope).
def _people_in(pattern):
    # Through the table, not the mapped class, so the scope adds no second copy of its rule here
    # (portal.grid.models.grid_ids_under).
    person = Person.__table__
    return select(person.c.id).where(person.c.grid_id.in_(grid_ids_under(pattern))).scalar_subquery()


class PersonScoped(Scoped):
    """Rows that belong to a person: in scope when the person's grid is."""

    __abstract__ = True

    @classmethod
    def subtree_clause(cls, pattern):
        return cls.person_id.in_(_people_in(pattern))

    def scope_grid(self, session):
        person = self.person if self.person is not None else session.get(Person, self.person_id)
        return person.grid if person is not None else None


LEAVE_OPEN_STATES = ("rejected", "cancelled")  # states that no longer count as away


class LeaveRequest(PersonScoped, TimestampMixin, Model):
    """请假 / 外出报备 (R10). ``status`` is moved only by the leave workflow."""

    __tablename__ = "leave_request"
    id = Column(Integer, primary_key=True)
    person_id = Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(20), nullable=False, default="personal")
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    # Stored so "longer than absence_report_days" is one portable comparison; dates are fixed after submit.
    days = Column(Integer, nullable=False, default=1)
    reason = Column(Text)
    away_from_area = Column(Boolean, nullable=False, default=True)  # 离开网格区域
    covering_person_id = Column(Integer, ForeignKey("person.id", ondelete="SET NULL"))
    absence_reported = Column(Boolean, nullable=False, default=False)  # 已向安监站报备
    absence_reported_on = Column(Date)
    status = Column(String(30), nullable=False, default="submitted", index=True)
    requested_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))

    person = relationship(Person, foreign_keys=[person_id], lazy="joined")
    covering_person = relationship(Person, foreign_keys=[covering_person_id], lazy="joined")

    __table_args__ = (Index("ix_leave_person_dates", "person_id", "start_date", "end_date"),)

    def __repr__(self) -> str:
        return f"{self.person} {self.start_date}–{self.end_date}"


class AttendanceRecord(PersonScoped, TimestampMixin, Model):
    """考勤: one status per person and day, entered in bulk per village."""

    __tablename__ = "attendance_record"
    id = Column(Integer, primary_key=True)
    person_id = Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True)
    date = Column(Date, nullable=False, index=True)
    status = Column(String(10), nullable=False, default="present")
    note = Column(String(200))

    person = relationship(Person, lazy="joined")

    __table_args__ = (UniqueConstraint("person_id", "date", name="uq_attendance_person_date"),)


class GridScoped(Scoped):
    """Rows that belong to a grid node (a township's meeting, a training's organiser)."""

    __abstract__ = True

    @classmethod
    def subtree_clause(cls, pattern):
        return cls.grid_id.in_(grid_ids_under(pattern))


class Meeting(GridScoped, TimestampMixin, Model):
    """网格员例会 held by a station (R11)."""

    __tablename__ = "meeting"
    id = Column(Integer, primary_key=True)
    grid_id = Column(Integer, ForeignKey("grid.id", ondelete="RESTRICT"), nullable=False, index=True)
    date = Column(Date, nullable=False, index=True)
    place = Column(String(200))
    minutes = Column(Text)  # 会议记录
    decisions = Column(Text)  # 议定事项
    attachment = Column(String(255))  # stored file name (FAB FileUploadField, UPLOAD_FOLDER)

    grid = relationship(Grid, lazy="joined")
    attendances = relationship("MeetingAttendance", back_populates="meeting", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"{self.grid} {self.date}"

    @property
    def attendance_summary(self) -> str:
        return f"{self.came_count} / {self.excused_count} / {self.absent_count}"


class MeetingAttendance(Scoped, Model):
    __tablename__ = "meeting_attendance"
    id = Column(Integer, primary_key=True)
    meeting_id = Column(Integer, ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, index=True)
    person_id = Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True)
    status = Column(String(10), nullable=False, default="came")

    meeting = relationship(Meeting, back_populates="attendances", lazy="joined")
    person = relationship(Person, lazy="joined")

    __table_args__ = (UniqueConstraint("meeting_id", "person_id", name="uq_meeting_person"),)

    @classmethod
    def subtree_clause(cls, pattern):
        meeting = Meeting.__table__  # the table: the scope adds no second copy of its rule (grid_ids_under)
        return cls.meeting_id.in_(select(meeting.c.id).where(meeting.c.grid_id.in_(grid_ids_under(pattern)))
                                  .scalar_subquery())

    def scope_grid(self, session):
        meeting = self.meeting if self.meeting is not None else session.get(Meeting, self.meeting_id)
        return meeting.grid if meeting is not None else None


class TrainingSession(Scoped, TimestampMixin, Model):
    """培训: by the committee office (yearly, all grid workers) or a station (half-yearly), R12."""

    __tablename__ = "training_session"
    id = Column(Integer, primary_key=True)
    level = Column(String(10), nullable=False, default="station", index=True)  # office | station
    grid_id = Column(Integer, ForeignKey("grid.id", ondelete="RESTRICT"), nullable=False, index=True)
    topic = Column(String(200), nullable=False)
    date = Column(Date, nullable=False, index=True)
    trainer = Column(String(100))
    materials = Column(Text)
    attachment = Column(String(255))  # stored file name (FAB FileUploadField, UPLOAD_FOLDER)

    grid = relationship(Grid, lazy="joined")
    attendances = relationship("TrainingAttendance", back_populates="session", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"{self.date} {self.topic}"

    @classmethod
    def subtree_clause(cls, pattern):
        # A banner-wide training is visible to every station under the banner: the organiser's node is
        # then an ancestor of the user's node ('/1/7/%' LIKE '/1/%'). The ancestor lookup reads the
        # Core table, which the scope listener does not restrict (ancestors lie outside the subtree).
        grid = Grid.__table__
        ancestors = select(grid.c.id).where(
            func.substr(pattern, 1, func.length(grid.c.path)) == grid.c.path
        ).scalar_subquery()
        return or_(cls.grid_id.in_(grid_ids_under(pattern)), cls.grid_id.in_(ancestors))



class TrainingAttendance(PersonScoped, Model):
    __tablename__ = "training_attendance"
    id = Column(Integer, primary_key=True)
    session_id = Column(Integer, ForeignKey("training_session.id", ondelete="CASCADE"), nullable=False, index=True)
    person_id = Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True)
    status = Column(String(10), nullable=False, default="attended")

    session = relationship(TrainingSession, back_populates="attendances", lazy="joined")
    person = relationship(Person, lazy="joined")

    __table_args__ = (UniqueConstraint("session_id", "person_id", name="uq_training_person"),)


# Counts as SQL subqueries of the row's own SELECT: list pages and exports need no query per row.
def _count(model, fk, parent, status):
    return column_property(
        select(func.count(model.id)).where(fk == parent.id, model.status == status).correlate_except(model).scalar_subquery(),
        deferred=False,
    )


Meeting.came_count = _count(MeetingAttendance, MeetingAttendance.meeting_id, Meeting, "came")
Meeting.excused_count = _count(MeetingAttendance, MeetingAttendance.meeting_id, Meeting, "excused")
Meeting.absent_count = _count(MeetingAttendance, MeetingAttendance.meeting_id, Meeting, "absent")
TrainingSession.attended_count = _count(TrainingAttendance, TrainingAttendance.session_id, TrainingSession, "attended")


KIT_ITEMS = ["manual", "record_book", "pen", "torch", "badge"]  # 十有: 手册、记录本、笔、手电、上岗证


class KitIssue(PersonScoped, TimestampMixin, Model):
    """巡查工具包发放登记 (R7, R9)."""

    __tablename__ = "kit_issue"
    id = Column(Integer, primary_key=True)
    person_id = Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True)
    items = Column(String(100), nullable=False, default="")  # ",manual,pen,"
    date = Column(Date, nullable=False)
    note = Column(String(200))

    person = relationship(Person, lazy="joined")

    @property
    def item_list(self) -> list[str]:
        return [i for i in (self.items or "").split(",") if i]

    @item_list.setter
    def item_list(self, values) -> None:
        vals = [v for v in KIT_ITEMS if v in set(values or [])]
        self.items = ("," + ",".join(vals) + ",") if vals else ""
