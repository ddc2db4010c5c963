"""Reading settings: ``get_setting("absence_report_days")``.

Values are cached per request; the defaults below are Aohan's and are seeded into the table by
``setup`` (the table, not this dict, is what a running portal reads).
"""
from __future__ import annotations

from typing import Any

from flask import has_request_context

DEFAULTS: dict[str, tuple[Any, str]] = {
    "banner_name": ("敖汉旗", "Name of the banner / county running the portal"),
    "banner_code": ("150430", "GB/T 2260 code of the banner"),
    "grid_unit_max": (100, "A basic grid with more units than this is flagged by the coverage audit"),
    "grid_unit_typical_min": (50, "Typical lower bound of units per basic grid"),
    "absence_report_days": (7, "Absence from the area longer than this must be reported to the station (R10)"),
    "leave_approval_chain": (["GridHead", "StationStaff"], "Roles approving a leave request, in order (R10)"),
    "meeting_interval_months": (2, "Each station holds a grid-worker meeting this often (R11)"),
    "patrol_interval_days": (7, "Every unit is patrolled at least this often (R4)"),
    "station_training_months": (6, "Station training cycle (R12)"),
    "office_training_months": (12, "Committee office training cycle (R12)"),
    "unit_verify_days": (30, "Base data of a unit is re-verified this often (R3)"),
    "import_max_rows": (20000, "Largest number of rows accepted in one Excel import file"),
    "import_sync_limit": (5000, "Imports of more good rows than this run as background jobs"),
    "job_keep_days": (7, "Result files of background jobs are deleted this many days after they finish"),
    "job_stale_minutes": (
        30, "A waiting or running background job that has shown no sign of life for this many minutes is marked failed",
    ),
    "tipoff_pin_max_attempts": (5, "Wrong PINs allowed per tip-off tracking code before a cooldown (R13)"),
    "tipoff_pin_cooldown_minutes": (15, "Cooldown after too many wrong tip-off PINs"),
    "tipoff_photo_max_mb": (8, "Largest photo a tip-off may carry, in MB"),
    "tipoff_photo_max_count": (4, "Most photos per tip-off or per handling step"),
    "key_unit_scales": (["large", "medium", "small"], "Scales that put an enterprise under key management"),
    "key_unit_kinds": (
        ["school", "kindergarten", "hospital", "market", "supermarket", "park", "scenic_spot", "public_institution"],
        "Unit kinds always under key management (public-interest units)",
    ),
    "survey_rate_limit": ("30 per minute", "Public questionnaire submissions allowed per IP address (Flask-Limiter syntax)"),
}


def get_setting(key: str) -> Any:
    from portal.core.models import Setting
    from portal.extensions import db

    cache = None
    if has_request_context():
        from portal.security.scope import request_cache

        cache = request_cache().setdefault("settings", {})
        if key in cache:
            return cache[key]
    row = db.session.query(Setting).filter_by(key=key).one_or_none()
    value = row.value if row is not None else DEFAULTS[key][0]
    if cache is not None:
        cache[key] = value
    return value


def seed_settings(session) -> int:
    """Insert missing settings with their defaults; never overwrite an edited value."""
    from portal.core.models import Setting

    existing = {k for (k,) in session.query(Setting.key)}
    added = 0
    for key, (value, description) in DEFAULTS.items():
        if key not in existing:
            s = Setting(key=key, description=description)
            s.value = value
            session.add(s)
            added += 1
    return added
