from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from portal import health


def site_context(request):
    """Template context every page needs: the portal's name, and from how many ratings an
    average is shown (paper cards in every list)."""
    return {"site_name": settings.SITE_NAME, "ratings_min_shown": settings.RATINGS_MIN_SHOWN}


@never_cache
def healthz(request):
    checks = health.check_all()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
