"""Signing in and out, and an invited recruiter choosing their password."""

from __future__ import annotations

from django.contrib.auth import views as auth

login = auth.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True)
logout = auth.LogoutView.as_view()
# The invitation link is Django's password-reset link: single use, expires with
# PASSWORD_RESET_TIMEOUT (3 days by default).
join = auth.PasswordResetConfirmView.as_view(
    template_name="web/join.html", success_url="/login/?joined=1", post_reset_login=False
)
