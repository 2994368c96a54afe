"""Curators' moderation of reviews: reported reviews with their reports, hide with a reason
(the reviewer is told by email), restore."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.shortcuts import render

from reviews import ratings, resources
from reviews.models import RatingSummary, ResourceAnswer, ResourceRequest, Review, ReviewReport


class ReportInline(admin.TabularInline):
    model = ReviewReport
    extra = 0
    fields = ("user", "reason", "created_at")
    readonly_fields = fields
    can_delete = False


class ReportedFilter(admin.SimpleListFilter):
    title = "reports"
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("yes", "Reported"), ("no", "Not reported")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(report_count__gt=0)
        if self.value() == "no":
            return queryset.filter(report_count=0)
        return queryset


class HideForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent to the reviewer by email.",
    )


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("id", "paper", "user", "rating", "report_count", "is_hidden", "created_at")
    list_filter = (ReportedFilter, "is_hidden", "rating", "verified_researcher")
    search_fields = ("paper__title", "paper__doi", "user__username", "text")
    list_select_related = ("paper", "user")
    raw_id_fields = ("paper", "user")
    readonly_fields = (
        "paper",
        "user",
        "rating",
        "novelty",
        "significance",
        "rigor",
        "text",
        "text_html",
        "verified_researcher",
        "helpful_count",
        "is_hidden",
        "hidden_reason",
        "hidden_at",
        "hidden_by",
        "created_at",
        "updated_at",
    )
    inlines = [ReportInline]
    actions = ["hide_reviews", "restore_reviews"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(report_count=Count("reports"))

    @admin.display(ordering="report_count", description="reports")
    def report_count(self, review):
        return review.report_count

    def has_add_permission(self, request):
        return False  # reviews are written by readers on the site

    @admin.action(description="Hide selected reviews (with a reason sent to their authors)")
    def hide_reviews(self, request, queryset):
        form = HideForm(request.POST if "reason" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Hide reviews",
                "form": form,
                "reviews": queryset,
                "opts": self.model._meta,
                "action": "hide_reviews",
            }
            return render(request, "reviews/admin_hide.html", context)
        reason = form.cleaned_data["reason"]
        for review in queryset:
            # hide_review enqueues the email to the reviewer: a worker sends it after commit.
            ratings.hide_review(review, curator=request.user, reason=reason)
        self.message_user(request, f"{queryset.count()} review(s) hidden.", messages.SUCCESS)
        return None

    @admin.action(description="Restore selected reviews")
    def restore_reviews(self, request, queryset):
        for review in queryset:
            ratings.restore_review(review)
        self.message_user(request, f"{queryset.count()} review(s) restored.", messages.SUCCESS)


@admin.register(RatingSummary)
class RatingSummaryAdmin(admin.ModelAdmin):
    list_display = ("paper", "count", "total", "updated_at")
    raw_id_fields = ("paper",)
    readonly_fields = [field.name for field in RatingSummary._meta.fields]

    def has_add_permission(self, request):
        return False


class ResourceHideForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why it is hidden")


class ResourceModeration:
    """Hide (with a reason) and restore actions, shared by requests and answers."""

    actions = ["hide_selected", "restore_selected"]

    @admin.action(description="Hide selected (with a reason)")
    def hide_selected(self, request, queryset):
        form = ResourceHideForm(request.POST if "reason" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": f"Hide {self.model._meta.verbose_name_plural}",
                "form": form,
                "items": queryset,
                "opts": self.model._meta,
                "action": "hide_selected",
            }
            return render(request, "reviews/admin_hide_resources.html", context)
        try:
            for item in queryset:
                resources.hide(item, curator=request.user, reason=form.cleaned_data["reason"])
        except resources.ResourceRefused as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        self.message_user(request, f"{queryset.count()} hidden.", messages.SUCCESS)
        return None

    @admin.action(description="Restore selected")
    def restore_selected(self, request, queryset):
        try:
            for item in queryset:
                resources.restore(item, curator=request.user)
        except resources.ResourceRefused as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        self.message_user(request, f"{queryset.count()} restored.", messages.SUCCESS)
        return None

    def has_add_permission(self, request):
        return False  # written by readers on the site


class AnswerInline(admin.TabularInline):
    model = ResourceAnswer
    extra = 0
    fields = ("user", "text", "link", "as_author", "is_hidden", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(ResourceRequest)
class ResourceRequestAdmin(ResourceModeration, admin.ModelAdmin):
    list_display = ("id", "paper", "requester", "kind", "status", "is_hidden", "created_at")
    list_filter = ("status", "kind", "is_hidden")
    search_fields = ("paper__title", "paper__doi", "requester__username", "message")
    list_select_related = ("paper", "requester")
    raw_id_fields = ("paper", "requester")
    readonly_fields = [field.name for field in ResourceRequest._meta.fields if field.name != "id"]
    inlines = [AnswerInline]


@admin.register(ResourceAnswer)
class ResourceAnswerAdmin(ResourceModeration, admin.ModelAdmin):
    list_display = ("id", "request", "user", "as_author", "is_hidden", "created_at")
    list_filter = ("as_author", "is_hidden")
    search_fields = ("text", "link", "user__username")
    list_select_related = ("request", "user")
    raw_id_fields = ("request", "user")
    readonly_fields = [field.name for field in ResourceAnswer._meta.fields if field.name != "id"]
