"""Form rules of the grid tree: right level under the right parent, no cycles."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from portal.grid.models import LEVEL_OF_KIND


class ValidParent:
    """A node sits directly under a node one level up; a node is never its own ancestor."""

    def __call__(self, form, field):
        parent = field.data
        level = LEVEL_OF_KIND.get(form.kind.data)
        if level is None:
            return  # the kind field reports its own error
        if level == 1:
            if parent is not None:
                raise ValidationError(_l("The banner is the root of the tree and has no parent"))
            return
        if parent is None:
            raise ValidationError(_l("Choose the parent grid"))
        pk = (request.view_args or {}).get("pk")
        if pk is not None and (str(parent.id) == str(pk) or f"/{pk}/" in (parent.path or "")):
            raise ValidationError(_l("A grid cannot be its own ancestor"))
        if parent.level != level - 1:
            raise ValidationError(
                _l("A grid of this kind (level %(level)s) must be under a level %(parent)s grid", level=level, parent=level - 1)
            )
