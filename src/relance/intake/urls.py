"""Intake's addresses (docs/intake.md): the public careers pages and talent-pool sign-up,
and the candidate page's CVs. Included before the web app's, whose
`candidates/<id>/<action>/` would take `cvs` for an action."""

from django.urls import path

from relance.intake import views

app_name = "intake"

urlpatterns = [
    path("careers/<slug:slug>/", views.careers, name="careers"),
    path("careers/<slug:slug>/talent-pool/", views.signup_form, name="signup"),
    path("careers/<slug:slug>/talent-pool/sent/", views.signup_sent, name="signup_sent"),
    path("careers/<slug:slug>/<int:pk>/", views.job, name="job"),
    path("careers/<slug:slug>/<int:pk>/sent/", views.applied, name="applied"),
    path("c/signup/<str:token>/", views.confirm, name="signup_confirm"),
    path("candidates/<int:pk>/cvs/", views.upload, name="cv_upload"),
    path("candidates/<int:pk>/cvs/<int:cv>/", views.download, name="cv_download"),
]
