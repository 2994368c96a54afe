from django.apps import AppConfig


class LibraryConfig(AppConfig):
    """A researcher's own library: private notes on papers, collections,
    imports from reference managers, follows and their feeds (issue 18)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "library"

    def ready(self):
        # accounts sits below this app: its account export asks the apps above it for their
        # part through a registry instead of importing them.
        from accounts import account_data
        from library import collections, follows, imports, notes

        account_data.register_export_section("notes", notes.export_notes)
        account_data.register_export_section("collections", collections.export_collections)
        account_data.register_export_section("imports", imports.export_imports)
        account_data.register_export_section("follows", follows.export_follows)
