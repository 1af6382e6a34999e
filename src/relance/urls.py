"""Relance's addresses. The candidates' pages need no login: their signed link is the proof."""

from django.urls import include, path
from django.views.i18n import set_language

from relance.api import pages as api_pages
from relance.hooks import pages as hook_pages
from relance.messaging import webhooks
from relance.messaging.unsubscribe import unsubscribe
from relance.pools import pages

urlpatterns = [
    path("u/<str:token>/", unsubscribe, name="unsubscribe"),
    path("c/pool/<str:token>/", pages.join, name="pool_join"),
    path("c/preferences/<str:token>/", pages.preferences, name="preferences"),
    path("c/withdraw/<str:token>/", pages.withdraw, name="withdraw"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", include("relance.api.urls")),
    path("settings/api/", api_pages.keys_page, name="api_keys"),
    path("settings/api/revoke/", api_pages.revoke, name="api_key_revoke"),
    path("settings/webhooks/", hook_pages.webhooks_page, name="webhooks"),
    path("settings/webhooks/endpoint/", hook_pages.endpoint_action, name="webhook_endpoint"),
    path("settings/webhooks/send-again/", hook_pages.send_again, name="webhook_send_again"),
    # Before the web app's: the careers pages, the sign-up, the candidate page's CVs.
    path("", include("relance.intake.urls")),
    path("", include("relance.web.urls")),
]
if webhooks.enabled():  # a provider's inbound webhooks, behind their basic-auth secret
    urlpatterns.append(path("anymail/", include("anymail.urls")))
