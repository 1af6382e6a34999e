"""Relance's addresses. The candidates' pages need no login: their signed link is the proof."""

from django.urls import path

from relance.messaging.unsubscribe import unsubscribe

urlpatterns = [
    path("u/<str:token>/", unsubscribe, name="unsubscribe"),
]
