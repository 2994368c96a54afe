from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews and resource requests"

    def ready(self):
        from papers import recommend
        from reviews import ratings, signals  # noqa: F401  (signals connects the receivers)

        # papers sits below reviews: placing a paper reads its co-ratings through this.
        recommend.register_co_ratings(ratings.co_rated_with)
