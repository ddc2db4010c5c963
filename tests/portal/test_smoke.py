"""The portal starts, migrates and shows the banner's divisions."""


def test_health_reports_database(app):
    r = app.test_client().get("/health")
    assert r.status_code == 200
    assert r.json["database"] == "ok"


def test_admin_sees_banner_and_19_level2_nodes(login):
    c = login("admin")
    r = c.get("/api/v1/grid/?q=(filters:!((col:level,opr:eq,value:2)),page_size:100)")
    assert r.status_code == 200
    names = sorted(row["name_zh"] for row in r.json["result"])
    assert len(names) == 19
    assert "新惠镇" in names and "敖汉旗工业园区" in names and "惠州街道" in names
    page = c.get("/gridtree/").get_data(as_text=True)
    assert "敖汉旗" in page and "敖润苏莫苏木" in page


def test_setup_is_idempotent(app):
    from portal.cli import run_setup
    from portal.grid.models import Grid
    from portal.extensions import db
    from portal.security.scope import system_scope

    with app.app_context():
        out = run_setup()
        assert out["divisions_added"] == 0 and out["admin_password"] is None
        with system_scope("test"):
            assert db.session.query(Grid).filter(Grid.level <= 2).count() == 20
        db.session.remove()
