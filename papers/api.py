"""The catalogue API under /api/v1/ (placeholder until the API lands)."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()
