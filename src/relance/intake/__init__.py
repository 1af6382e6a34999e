"""Intake: how people and their documents come in — CVs (upload, type checked by content,
text extracted), the public careers page with its apply form, and the open talent-pool
sign-up form with its double opt-in. See docs/intake.md."""
