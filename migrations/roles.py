"""The database roles the migrations set up (see versions/2026_11_29_0011_integrity.py)."""

APP_ROLE = "baoxue_app"
