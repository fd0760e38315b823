"""The web layer: Flask app factory. Talks to service/projections only, never to domain directly."""
from api.app import create_app

__all__ = ["create_app"]
