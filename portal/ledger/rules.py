"""Management mode rule (重点管理 / 打包管理), from the plan (R3).

Key management: small-and-above enterprises, high-risk micro enterprises, fire-safety key units and
public-interest units (markets, schools, kindergartens, hospitals, supermarkets, parks, scenic spots,
public institutions). Everything else — other micro enterprises, individual businesses — is packaged
per grid. Which scales and kinds count are settings.
"""
from __future__ import annotations

from portal.core.settings import get_setting
from portal.ledger.models import ManagementMode


def derived_mode(unit) -> str:
    if unit.kind in set(get_setting("key_unit_kinds")):
        return ManagementMode.key.value
    if unit.fire_key or unit.sector_list:
        return ManagementMode.key.value
    if unit.kind in ("enterprise", "cooperative") and unit.scale in set(get_setting("key_unit_scales")):
        return ManagementMode.key.value
    return ManagementMode.packaged.value


def apply_mode(unit) -> None:
    """Set ``management_mode``: the override when one is given (its reason is required), else the rule."""
    unit.management_mode = unit.mode_override or derived_mode(unit)
