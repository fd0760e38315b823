"""Staff pages (blueprint ``web``): views, the form built from the schemas, how values are shown."""
from api.web.views import bp

__all__ = ["bp"]
