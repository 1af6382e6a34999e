"""Relance's addresses. The candidates' pages need no login: their signed link is the proof."""

from django.urls import include, path

from relance.messaging import webhooks
from relance.messaging.unsubscribe import unsubscribe

urlpatterns = [
    path("u/<str:token>/", unsubscribe, name="unsubscribe"),
]
if webhooks.enabled():  # a provider's inbound webhooks, behind their basic-auth secret
    urlpatterns.append(path("anymail/", include("anymail.urls")))
