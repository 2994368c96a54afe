from django.contrib import admin

from library.models import Collection, Entry


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["position", "paper", "state", "note", "added_by", "added_at", "read_at"]
    readonly_fields = ["added_at", "read_at"]
    raw_id_fields = ["paper", "added_by"]
    extra = 0


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "is_default", "is_public", "updated_at"]
    list_filter = ["is_default", "is_public"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__username", "owner__email"]
    raw_id_fields = ["owner", "editors"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [EntryInline]
