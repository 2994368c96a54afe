from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = "Recommendations and email digests"

    def ready(self):
        from recommendations import signals  # noqa: F401  (connects the receivers)
