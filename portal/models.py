"""Import every model module so SQLAlchemy, FAB and Alembic see the whole schema."""
from portal.changelog.models import AccessLog, ChangeLog  # noqa: F401
from portal.core.data_version import data_version  # noqa: F401
from portal.core.models import Setting  # noqa: F401
from portal.grid.models import Assignment, Grid, Person  # noqa: F401
from portal.ledger.models import Unit  # noqa: F401
from portal.security.models import UserProfile  # noqa: F401
from portal.workflow import WorkflowEvent  # noqa: F401
from surveys.models import AnswerCount, Campaign, DeviceToken, FormDefinition, FormVersion, Response  # noqa: F401
from portal.reward.models import RewardClaim, RewardScale, TipOff, TipOffPhoto  # noqa: F401
from portal.workforce.models import AttendanceRecord, KitIssue, LeaveRequest, Meeting, MeetingAttendance, TrainingAttendance, TrainingSession  # noqa: F401
from portal.jobs.models import Job  # noqa: F401
