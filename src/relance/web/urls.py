"""The web app's addresses (see docs/web.md)."""

from django.urls import path

from relance.web.views import (
    account,
    candidates,
    demo,
    jobs,
    pools,
    rights,
    settings,
    setup,
    team,
    templates,
    today,
)

app_name = "web"

urlpatterns = [
    path("", today.today, name="today"),
    path("login/", account.login, name="login"),
    path("logout/", account.logout, name="logout"),
    path("join/<str:token>/", account.join, name="join"),
    path("join/<uidb64>/<token>/", account.join_with_account, name="join_with_account"),
    path("threads/<int:pk>/message/", today.message, name="thread_message"),
    path("threads/<int:pk>/more/", today.more, name="thread_more"),
    path("threads/<int:pk>/<str:action>/", today.act, name="thread_act"),
    path("candidates/", candidates.candidates, name="candidates"),
    path("candidates/<int:pk>/", candidates.candidate, name="candidate"),
    path("candidates/<int:pk>/export/", rights.export, name="candidate_export"),
    path("candidates/<int:pk>/erase/", rights.erase, name="candidate_erase"),
    path("candidates/<int:pk>/pools/", pools.add_to_pool, name="candidate_pool"),
    path("candidates/<int:pk>/consent/", pools.consent_on_a_call, name="candidate_consent"),
    path("candidates/<int:pk>/<str:action>/", candidates.candidate_act, name="candidate_act"),
    path("jobs/", jobs.jobs, name="jobs"),
    path("jobs/<int:pk>/", jobs.job, name="job"),
    path("templates/", templates.templates, name="templates"),
    path("templates/<str:name>/<str:language>/", templates.template, name="template"),
    path(
        "templates/<str:name>/<str:language>/preview/", templates.preview, name="template_preview"
    ),
    path("templates/<str:name>/<str:language>/reset/", templates.reset, name="template_reset"),
    path("pools/", pools.pools, name="pools"),
    path("pools/segments/", pools.save_segment, name="segment_save"),
    path("pools/new/", pools.save_pool, name="pool_save"),
    path("pools/rules/", pools.save_rule, name="rule_save"),
    path("campaigns/", pools.campaign_list, name="campaigns"),
    path("campaigns/new/", pools.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", pools.campaign, name="campaign"),
    path("campaigns/<int:pk>/cancel/", pools.campaign_cancel, name="campaign_cancel"),
    path("settings/", settings.settings_page, name="settings"),
    path("settings/policy/", settings.save_policy, name="settings_policy"),
    path("settings/identity/", settings.save_identity, name="settings_identity"),
    path("settings/invite/", settings.invite, name="settings_invite"),
    path("demo/mail/", demo.demo_mail, name="demo_mail"),
    path("setup/", setup.first_run, name="first_run"),
    path("setup/<str:token>/", setup.first_run_link, name="first_run_link"),
    path("team/", team.team, name="team"),
    path("team/audit/", team.audit, name="audit"),
    path("team/<int:pk>/<str:action>/", team.act, name="team_act"),
]
