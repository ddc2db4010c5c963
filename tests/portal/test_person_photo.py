"""Badge photos (R9): checked and re-encoded on upload, shown on the badge, served only inside scope."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from portal.grid.models import Grid, Person


def _png(color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (60, 80), color).save(buf, "PNG")
    return buf.getvalue()


def _other_town_station_grid(session):
    from flask_appbuilder.security.sqla.models import User

    from portal.security.models import UserProfile

    uid = session.execute(select(User.id).where(User.username == "station")).scalar_one()
    town = session.get(UserProfile, uid).grid
    return session.execute(
        select(Grid).where(Grid.level == 4, Grid.path.not_like(town.path + "%"), Grid.code.is_not(None))
    ).scalars().first()


def test_photo_upload_badge_and_scope(login, system_ctx):
    with system_ctx() as s:
        grid_id = _other_town_station_grid(s).id
    c = login("admin")
    data = {"name_zh": "照片测试人", "role": "grid_worker", "status": "active", "grid": str(grid_id),
            "badge_no": "PHOTO-1", "photo_upload": (io.BytesIO(_png()), "me.png")}
    r = c.post("/personview/add", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    with system_ctx() as s:
        p = s.execute(select(Person).where(Person.name_zh == "照片测试人")).scalar_one()
        pid, stored = p.id, p.photo
    assert stored and stored.endswith(".jpg")
    img = c.get(f"/personview/photo/{pid}")
    assert img.status_code == 200 and img.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(img.data)).size == (60, 80)  # re-encoded, same picture
    show = c.get(f"/personview/show/{pid}").get_data(as_text=True)
    assert f"/personview/photo/{pid}" in show
    # A station of another township: the photo is as invisible as the person.
    assert login("station").get(f"/personview/photo/{pid}").status_code == 404


def test_non_image_refused_and_form_kept(login, system_ctx):
    c = login("admin")
    data = {"name_zh": "假照片测试人", "role": "grid_worker", "status": "active",
            "photo_upload": (io.BytesIO(b"%PDF-1.4 not a photo"), "me.png")}
    r = c.post("/personview/add", data=data, content_type="multipart/form-data")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'value="假照片测试人"' in html
    assert "me.png" in html  # the message names the file
    with system_ctx() as s:
        assert s.execute(select(Person).where(Person.name_zh == "假照片测试人")).first() is None
