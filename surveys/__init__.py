"""Public awareness questionnaires (知晓率调查): campaigns, public pages, QR posters, statistics.

``surveys.public.init_app`` registers the public blueprint (from create_app); ``surveys.admin``
registers the staff views (from portal/menu.py).
"""
