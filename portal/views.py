from django.conf import settings
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from portal import api, health


def site_context(request):
    """Template context every page needs: the portal's name, and from how many ratings an
    average is shown (paper cards in every list)."""
    return {"site_name": settings.SITE_NAME, "ratings_min_shown": settings.RATINGS_MIN_SHOWN}


@never_cache
@require_safe
def healthz(request):
    checks = health.check_all()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


# Django's error pages (an unknown URL, a refused or failed request), as JSON under /api/:
# API clients read {"detail": ...} for every error, whichever layer answered.


def _is_api(request):
    return request.path.startswith("/api/")


def page_not_found(request, exception):
    if _is_api(request):
        return api.json_error(404, "No such API endpoint or object.")
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    if _is_api(request):
        return api.json_error(400, "The request is malformed.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return api.json_error(403, "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception)


def server_error(request):
    if _is_api(request):
        return api.json_error(500, "A server error occurred; it has been logged.")
    return defaults.server_error(request)
