from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/profile/", views.profile_edit, name="profile-edit"),
    path("accounts/token/", views.api_token, name="api-token"),
    path("accounts/export/", views.account_export, name="export"),
    path("accounts/delete/", views.account_delete, name="delete"),
    path("email/unsubscribe/<str:token>/", views.email_unsubscribe, name="unsubscribe"),
    path("claims/authorship/<int:authorship_pk>/", views.claim_confirm, name="claim-confirm"),
    path(
        "claims/authorship/<int:authorship_pk>/dispute/",
        views.claim_dispute,
        name="claim-dispute",
    ),
    path("claims/authorship/<int:authorship_pk>/more/", views.claim_more, name="claim-more"),
    path("claims/<int:pk>/withdraw/", views.claim_withdraw, name="claim-withdraw"),
    path("papers/<int:paper_pk>/summary/", views.paper_summary_edit, name="paper-summary"),
    path("papers/<int:paper_pk>/keywords/", views.paper_keywords_add, name="paper-keywords"),
]
