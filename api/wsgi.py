"""WSGI entry point: ``app = create_app()`` (needs TAIZHANG_SECRET_KEY outside development)."""
from api.app import create_app

app = create_app()
