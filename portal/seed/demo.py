"""Deterministic, clearly fictional demo data: 示例村 villages, basic grids, workers and units.

Real village names are not guessed (reference-data.md): they are imported by the stations.
"""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, insert, select
from stdnum.cn import ric, uscc

from portal.grid.models import Grid, Person
from portal.ledger.models import SECTORS, Unit
from portal.ledger.rules import derived_mode

CN_NUM = "一二三四五六七八九十"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗包白乌宝"
GIVEN = "海军红梅建国丽华志强桂兰秀英明德巴特尔其其格文斌春燕玉龙"
KINDS = ["enterprise"] * 5 + ["individual"] * 8 + ["cooperative", "school", "kindergarten", "hospital", "market", "supermarket", "other"]
INDUSTRY = ["A01", "A03", "B10", "C13", "C26", "C30", "C33", "E47", "F51", "F52", "G54", "H61", "H62", "O80", "P83", "Q84"]


def _cn_index(i: int) -> str:
    """1 → 一, 15 → 十五, 40 → 四十, 105 → 一百零五, 120 → 一百二十 (demo names; up to 999)."""
    if i <= 10:
        return CN_NUM[i - 1]
    if i < 20:
        return "十" + CN_NUM[i - 11]
    if i < 100:
        tens, ones = divmod(i, 10)
        return CN_NUM[tens - 1] + "十" + (CN_NUM[ones - 1] if ones else "")
    hundreds, rest = divmod(i, 100)
    head = CN_NUM[hundreds - 1] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + CN_NUM[rest - 1]
    return head + (CN_NUM[0] + _cn_index(rest) if rest < 20 else _cn_index(rest))


def make_resident_id(rng: random.Random, area: str = "150430") -> str:
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 38))
    body = f"{area}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last character given


def make_credit_code(rng: random.Random, prefix: str = "91") -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = prefix + "150430" + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def load_demo(session, units: int = 500, grids: int | None = None, seed: int = 42) -> dict:
    """Create demo villages and basic grids under the level-2 nodes, one worker per grid, ``units`` units."""
    rng = random.Random(seed)
    if session.execute(select(func.count(Grid.id)).where(Grid.level == 4)).scalar():
        return {"skipped": True}
    towns = session.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code)).scalars().all()
    if not towns:
        raise RuntimeError("run `flask --app portal setup` first: no level-2 divisions")
    n_grids = grids or max(len(towns), units // 60 or 1)
    basic: list[Grid] = []
    per_town = -(-n_grids // len(towns))
    for town in towns:
        remaining = min(per_town, n_grids - len(basic))
        kind = "community" if town.kind == "street" else ("gacha" if town.kind == "sumu" else "village")
        suffix = {"village": "村", "gacha": "嘎查", "community": "社区"}[kind]
        v = 0
        while remaining > 0:
            v += 1
            short = f"示例{suffix}{_cn_index(v)}"
            village = Grid(
                parent=town, kind=kind, level=3, name_zh=f"{short}（{town.name_zh}）",
                code=f"{town.code[:9]}{v:03d}", active=True,
                responsible_body=f"{short}{'居委会' if kind == 'community' else '村民委员会'}",
            )
            session.add(village)
            session.flush()
            for b in range(1, min(3, remaining) + 1):
                g = Grid(
                    parent=village, kind="basic", level=4, name_zh=f"{short}第{_cn_index(b)}网格（{town.name_zh}）",
                    code=f"{village.code}{b:02d}", active=True, area=f"示例边界：{short}第{b}片区",
                )
                session.add(g)
                basic.append(g)
                remaining -= 1
            session.flush()
    # One worker per basic grid.
    people = []
    used_ids: set[str] = set()  # ID numbers are unique; random ones collide from a few thousand people on
    for i, g in enumerate(basic, start=1):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        gender = rng.choice(["male", "female"])
        ethnicity = rng.choice(["汉族", "蒙古族", "满族"])
        id_number = make_resident_id(rng)
        while id_number in used_ids:
            id_number = make_resident_id(rng)
        used_ids.add(id_number)
        people.append({
            "name_zh": name,
            "gender": gender,
            "ethnicity": ethnicity,
            "id_number": id_number,
            "mobile": "1" + rng.choice("3578") + "".join(str(rng.randrange(10)) for _ in range(9)),
            "role": "grid_worker",
            "village_post": rng.choice(["村委委员", "村民小组长", "治保主任", "专职网格员"]),
            "lives_in_grid": True,
            "badge_no": f"AH{i:05d}",
            "kit_issued": rng.random() < 0.8,
            "status": "active",
            "grid_id": g.id,
            "created_on": dt.datetime(2026, 1, 1),
            "changed_on": dt.datetime(2026, 1, 1),
        })
    if people:
        session.execute(insert(Person), people)
    _insert_units(session, _unit_rows(rng, 1, units, [g.id for g in basic]))
    return {"grids": len(basic), "people": len(people), "units": units}


def _insert_units(session, rows, batch: int = 5000) -> int:
    """Core bulk INSERT in batches (executemany): no ORM objects, no per-row events."""
    n, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            session.execute(insert(Unit), chunk)
            n += len(chunk)
            chunk = []
    if chunk:
        session.execute(insert(Unit), chunk)
        n += len(chunk)
    return n


def _unit_rows(rng: random.Random, start: int, count: int, grid_ids: list[int], used_codes: set | None = None):
    """Rows of demo units ``start .. start+count-1``, spread over ``grid_ids`` in turn (deterministic)."""
    today = dt.date(2026, 11, 1)
    modes: dict = {}  # derived_mode reads two settings: compute once per distinct input, not per unit
    for i in range(start, start + count):
        kind = rng.choice(KINDS)
        scale = rng.choice(["small", "micro", "micro", "micro", "medium"]) if kind in ("enterprise", "cooperative") else None
        sectors = [rng.choice(SECTORS)] if kind == "enterprise" and rng.random() < 0.2 else []
        u = Unit(kind=kind, scale=scale, fire_key=rng.random() < 0.05)
        u.sector_list = sectors
        prefix = {"individual": "92", "cooperative": "93", "public_institution": "12"}.get(kind, "91")
        code = make_credit_code(rng, prefix) if kind != "individual" or rng.random() < 0.3 else None
        if used_codes is not None and code is not None:
            while code in used_codes:  # credit codes are unique; random ones may collide at millions of rows
                code = make_credit_code(rng, prefix)
            used_codes.add(code)
        key = (kind, scale, u.fire_key, bool(sectors))
        if key not in modes:
            modes[key] = derived_mode(u)
        yield {
            "name": f"示例单位{i:05d}",
            "credit_code": code,
            "kind": kind,
            "industry_code": rng.choice(INDUSTRY),
            "scale": scale,
            "sectors": u.sectors,
            "fire_key": u.fire_key,
            "address": f"示例地址{i}号",
            "legal_rep": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "safety_contact": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "phone": "1" + rng.choice("3578") + "".join(str(rng.randrange(10)) for _ in range(9)),
            "employees": rng.randrange(1, 300),
            "grid_id": grid_ids[(i - 1) % len(grid_ids)],
            "management_mode": modes[key],
            "intake_status": rng.choice(["ledger"] * 6 + ["draft", "confirmed", "approved"]),
            "last_verified": today - dt.timedelta(days=rng.randrange(0, 60)),
            "created_on": dt.datetime(2026, 1, 1),
            "changed_on": dt.datetime(2026, 1, 1),
        }


def add_units(session, count: int, seed: int = 7) -> int:
    """Append ``count`` more demo units over the existing basic grids (benchmarks: exports of 200,000+).

    Deterministic for a given database content and seed; numbering continues after the last unit.
    """
    rng = random.Random(seed)
    grid_ids = list(session.execute(select(Grid.id).where(Grid.level == 4).order_by(Grid.path)).scalars())
    if not grid_ids:
        raise RuntimeError("no basic grids: load the demo first")
    start = (session.execute(select(func.max(Unit.id))).scalar() or 0) + 1
    used = set(session.execute(select(Unit.credit_code).where(Unit.credit_code.is_not(None))).scalars())
    return _insert_units(session, _unit_rows(rng, start, count, grid_ids, used))
