"""Tip-off register and reward register (.xlsx through portal/xlsx.py).

Identity columns are added only when the committee office ticks "include identity"; every tip-off
whose identity went into a file gets an access-log row, like a reveal on screen.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import xlsx
from portal.changelog.listeners import log_access
from portal.extensions import db
from portal.ledger.labels import SECTOR_LABELS
from portal.reward.crypto import unseal
from portal.reward.workflow import BASIS_LABELS, CLAIM_STATE_LABELS, PAY_METHODS, TIPOFF_STATE_LABELS

IDENTITY_FIELDS = ["reporter_name", "reporter_phone", "reporter_contact"]


def _label(labels, v):
    return str(labels.get(v, v)) if v else ""


def _identity_columns():
    return [
        (_l("Reporter name"), lambda t: unseal(t.reporter_name_enc)),
        (_l("Reporter phone"), lambda t: unseal(t.reporter_phone_enc)),
        (_l("Reporter contact"), lambda t: unseal(t.reporter_contact_enc)),
    ]


def tipoff_columns():
    return [
        (_l("Tracking code"), lambda t: t.display_code),
        (_l("Filed on"), lambda t: t.created_on),
        (_l("Status"), lambda t: _label(TIPOFF_STATE_LABELS, t.status)),
        (_l("Verification result"), lambda t: _label(TIPOFF_STATE_LABELS, t.verdict)),
        (_l("Channel"), lambda t: _label(CHANNEL_LABELS, t.channel)),
        (_l("Grid code"), lambda t: t.grid.code if t.grid else ""),
        (_l("Grid"), lambda t: t.grid.display_name if t.grid else ""),
        (_l("Place"), lambda t: t.where_text),
        (_l("When"), lambda t: t.occurred_on),
        (_l("What"), lambda t: t.what),
        (_l("Assigned station"), lambda t: t.assigned_grid.display_name if t.assigned_grid else ""),
        (_l("Assigned department"), lambda t: _label(SECTOR_LABELS, t.assigned_sector)),
        (_l("Anonymous"), lambda t: _("Yes") if t.anonymous else _("No")),
        (_l("Hazard record"), lambda t: t.hazard_id),
        (_l("Case reference"), lambda t: t.case_ref),
        (_l("Reward status"), lambda t: _label(CLAIM_STATE_LABELS, t.claim.status) if t.claim else ""),
    ]


def claim_columns():
    return [
        (_l("Tracking code"), lambda c: c.tracking_code),
        (_l("Reward scale"), lambda c: c.scale.name if c.scale else ""),
        (_l("Basis"), lambda c: _label(BASIS_LABELS, c.scale.basis) if c.scale else ""),
        (_l("Fine amount"), lambda c: float(c.fine_amount) if c.fine_amount is not None else None),
        (_l("Proposed amount"), lambda c: float(c.proposed_amount)),
        (_l("Reviewed amount"), lambda c: float(c.amount) if c.amount is not None else None),
        (_l("Status"), lambda c: _label(CLAIM_STATE_LABELS, c.status)),
        (_l("Reviewed on"), lambda c: c.reviewed_on),
        (_l("Decided on"), lambda c: c.decided_on),
        (_l("Paid on"), lambda c: c.paid_on),
        (_l("Payment method"), lambda c: _label(PAY_METHODS, c.pay_method)),
        (_l("Payment reference"), lambda c: c.pay_reference),
    ]


CHANNEL_LABELS = {"public": _l("Public page"), "portal": _l("Filed by a grid worker")}


def export(query, title: str, columns, include_identity: bool, tip_of=lambda o: o):
    """Stream the query's rows; with identity, log each tip-off whose identity was written."""
    if include_identity:
        columns = columns + [(h, (lambda f: lambda o: f(tip_of(o)))(f)) for h, f in _identity_columns()]
    revealed = []

    def rows():
        for (obj,) in ((o,) for o in xlsx_rows(query)):
            if include_identity and tip_of(obj).has_identity:
                revealed.append(tip_of(obj))
            yield [f(obj) for _h, f in columns]

    filename = f"{title}-{dt.date.today():%Y%m%d}.xlsx"
    resp = xlsx.export_response(filename, title, [str(h) for h, _f in columns], rows())
    if revealed:
        for tip in revealed:
            log_access(db.session, tip, IDENTITY_FIELDS + ["export"])
        db.session.commit()
    return resp


def xlsx_rows(query, batch: int = 1000):
    result = query.session.execute(query.statement.execution_options(yield_per=batch))
    yield from result.scalars()
