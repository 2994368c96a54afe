"""The curators' admin for recommendations: the digest send log, and on the user admin
a preview of a user's next digest (rendered, never sent)."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.admin import PortalUserAdmin
from accounts.models import User
from recommendations import digests
from recommendations.models import Digest

# accounts registers the user admin; this one is the same plus the digest preview (its
# URL stays under the user's: /admin/accounts/user/<pk>/digest-preview/).
admin.site.unregister(User)


@admin.register(User)
class UserAdminWithDigestPreview(PortalUserAdmin):
    actions = ["preview_digest"]

    def get_urls(self):
        # The email's HTML, shown in a srcdoc iframe, takes this page's Content-Security-
        # Policy, and emails carry their styles inline; the sandbox keeps scripts out.
        preview = csp_update({"style-src": [UNSAFE_INLINE]})(self.digest_preview_view)
        preview = self.admin_site.admin_view(preview)
        return [
            path("<int:pk>/digest-preview/", preview, name="accounts_user_digest_preview"),
            *super().get_urls(),
        ]

    @admin.action(description="Preview the next email digest (rendered, not sent)")
    def preview_digest(self, request, queryset):
        user = queryset.order_by("pk").first()
        return redirect("admin:accounts_user_digest_preview", pk=user.pk)

    def digest_preview_view(self, request, pk):
        """A user's next digest as it would go out now: rendered, never sent, nothing
        written (digests.preview)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        user = User.objects.select_related("profile").filter(pk=pk).first()
        if user is None:
            raise Http404("no such user")
        period = request.GET.get("period") or user.profile.recommendation_frequency
        if period not in digests.PERIODS:
            period = "weekly"
        content, message = digests.preview(user, period)
        html = ""
        if message is not None:
            html = next((body for body, kind in message.alternatives if kind == "text/html"), "")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Next {period} digest of {user.username}",
            "person": user,
            "period": period,
            "periods": digests.PERIODS,
            "kinds_due": digests.kinds_due(user.profile, period),
            "content": content,
            "message": message,
            "html": html,
            "change_url": reverse("admin:accounts_user_change", args=[user.pk]),
        }
        return TemplateResponse(request, "admin/recommendations/digest_preview.html", context)


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    """What each digest held, one row per user and period, with how its sending went (its
    send-log row, accounts.SentEmail: status, attempts, any error)."""

    list_display = ["id", "user", "period", "period_key", "email__status", "email__attempts"]
    list_display += ["paper_count", "created_at", "email__sent_at", "preview_link"]
    list_filter = ["email__status", "period"]
    search_fields = ["user__username", "user__email", "period_key"]
    list_select_related = ["user", "email"]
    readonly_fields = [
        "user",
        "period",
        "period_key",
        "kinds",
        "window_start",
        "window_end",
        "items",
        "status",
        "attempts",
        "error",
        "created_at",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the record of what was sent stays as it was

    @admin.display(description="papers")
    def paper_count(self, digest):
        return len(digest.items)

    @admin.display(description="next digest")
    def preview_link(self, digest):
        url = reverse("admin:accounts_user_digest_preview", args=[digest.user_id])
        return format_html('<a href="{}?period={}">preview</a>', url, digest.period)
