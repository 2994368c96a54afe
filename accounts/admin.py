"""The curators' admin for accounts: users with their profiles (recommendations.admin adds
the digest preview to it), the claims queue with the claimant and the authorship side by
side, decisions and disputes.

Approve and reject are bulk actions behind an intermediate page that asks for the reason;
they call accounts.claims, which records each decision and emails the claimant.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.utils.html import format_html

from accounts import claims, profiles
from accounts.models import Claim, ClaimDecision, ClaimDispute, Profile, SentEmail, User


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    autocomplete_fields = ["interest_categories", "interest_keywords"]
    readonly_fields = ["orcid_proven"]


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = [ProfileInline]

    # The name a user is shown by is on paper pages (reviews, requests, claims): a rename
    # or a deletion here bumps those pages (accounts.profiles.bump_pages_showing, one
    # UPDATE), inside the admin's transaction.
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        renamed = {"first_name", "last_name", "username"} & set(form.changed_data)
        renamed |= {
            "display_name"
            for formset in formsets
            for inline in formset.forms
            if "display_name" in inline.changed_data
        }
        if change and renamed:
            profiles.bump_pages_showing(form.instance.pk)

    def delete_model(self, request, obj):
        with transaction.atomic():
            profiles.bump_pages_showing(obj.pk)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for user_id in queryset.values_list("pk", flat=True):
                profiles.bump_pages_showing(user_id)
            super().delete_queryset(request, queryset)


class DecisionInline(admin.TabularInline):
    model = ClaimDecision
    extra = 0
    can_delete = False
    fields = ["verdict", "decided_by", "decided_at", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class DisputeInline(admin.TabularInline):
    model = ClaimDispute
    extra = 0
    fields = ["user", "reason", "created_at", "resolved_at"]
    readonly_fields = ["user", "reason", "created_at"]


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label="Reason (sent to the researchers)",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, require_reason, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = require_reason


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "status",
        "claimant",
        "claimant_orcid",
        "email_domain",
        "author_name",
        "author_affiliation",
        "author_orcid",
        "similarity",
        "open_disputes",
        "paper_link",
        "created_at",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["user__username", "authorship__author__name", "paper__title", "paper__doi"]
    raw_id_fields = ["user", "authorship", "paper"]
    readonly_fields = ["user", "authorship", "paper", "status", "created_at", "decided_at"]
    inlines = [DecisionInline, DisputeInline]
    actions = ["approve_claims", "reject_claims"]
    ordering = ["-created_at"]

    def get_queryset(self, request):
        # One query for the page's rows, whatever their number: everything is joined.
        return (
            super()
            .get_queryset(request)
            .for_curators()
            .annotate(
                open_dispute_count=Count("disputes", filter=Q(disputes__resolved_at__isnull=True))
            )
        )

    def has_add_permission(self, request):
        return False  # researchers claim from the paper page or the API

    @admin.display(description="claimant")
    def claimant(self, claim):
        profile = claim.user.profile
        affiliation = f" ({profile.affiliation})" if profile.affiliation else ""
        return f"{claim.user.public_name} [{claim.user.username}]{affiliation}"

    @admin.display(description="claimant's ORCID")
    def claimant_orcid(self, claim):
        profile = claim.user.profile
        if not profile.orcid:
            return "-"
        return f"{profile.orcid} ({'proven' if profile.orcid_proven else 'typed, not proven'})"

    @admin.display(description="email domain")
    def email_domain(self, claim):
        return claim.user.email.rpartition("@")[2] or "-"

    @admin.display(description="author on the paper", ordering="authorship__author__name")
    def author_name(self, claim):
        return claim.authorship.author.name

    @admin.display(description="affiliation on the paper")
    def author_affiliation(self, claim):
        return "; ".join(claim.authorship.affiliations) or "-"

    @admin.display(description="author's ORCID")
    def author_orcid(self, claim):
        return claim.authorship.author.orcid or "-"

    @admin.display(description="name similarity")
    def similarity(self, claim):
        user = claim.user
        names = {user.public_name, user.get_full_name()} - {""}
        score = max(claims.name_similarity(claim.authorship.author.name, n) for n in names)
        return f"{score:.0%}"

    @admin.display(description="open disputes", ordering="open_dispute_count")
    def open_disputes(self, claim):
        return claim.open_dispute_count

    @admin.display(description="paper")
    def paper_link(self, claim):
        return format_html('<a href="{}">{}</a>', claim.paper.get_absolute_url(), claim.paper)

    @admin.action(description="Approve selected claims", permissions=["change"])
    def approve_claims(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @admin.action(description="Reject selected claims", permissions=["change"])
    def reject_claims(self, request, queryset):
        return self._decide(request, queryset, approve=False)

    def _decide(self, request, queryset, *, approve):
        """First call: a page asking for the reason. Second (with "apply"): decide each."""
        form = DecisionForm(
            request.POST if "apply" in request.POST else None, require_reason=not approve
        )
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            done, refused = 0, []
            for claim in queryset:
                try:
                    if approve:
                        claims.approve_claim(claim, by=request.user, reason=reason)
                    else:
                        claims.reject_claim(claim, by=request.user, reason=reason)
                    done += 1
                except (claims.ClaimError, PermissionDenied) as error:
                    refused.append(f"claim {claim.pk}: {error}")
            verb = "approved" if approve else "rejected"
            if done:
                self.message_user(request, f"{done} claim(s) {verb}; the researchers are told.")
            for message in refused:
                self.message_user(request, message, level=messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Approve claims" if approve else "Reject claims",
            "opts": self.model._meta,
            "claims": list(queryset),
            "form": form,
            "action": "approve_claims" if approve else "reject_claims",
            "approve": approve,
        }
        return TemplateResponse(request, "admin/accounts/claim/decide.html", context)


@admin.register(ClaimDispute)
class ClaimDisputeAdmin(admin.ModelAdmin):
    list_display = ["id", "claim", "disputed_by", "reason", "created_at", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["claim__user", "claim__authorship__author", "user"]
    raw_id_fields = ["claim", "user"]
    readonly_fields = ["claim", "user", "reason", "created_at"]

    @admin.display(description="disputed by")
    def disputed_by(self, dispute):
        return dispute.user.username


@admin.register(ClaimDecision)
class ClaimDecisionAdmin(admin.ModelAdmin):
    list_display = ["id", "claim", "verdict", "decided_by", "decided_at", "reason"]
    list_filter = ["verdict"]
    list_select_related = ["claim__user", "decided_by"]
    readonly_fields = ["claim", "verdict", "decided_by", "decided_at", "reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the record of who decided what stays as it was


@admin.register(SentEmail)
class SentEmailAdmin(admin.ModelAdmin):
    """The send log of every email but the digest (accounts.emails.send_once), with errors."""

    list_display = ["id", "kind", "key", "recipient", "status", "attempts", "created_at"]
    list_display += ["sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient__username", "recipient__email", "key"]
    list_select_related = ["recipient"]
    readonly_fields = ["kind", "key", "recipient", "status", "attempts", "error"]
    readonly_fields += ["created_at", "sent_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the record of what was sent stays as it was
