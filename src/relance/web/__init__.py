"""The recruiter's web app: Django templates with htmx, served by the app itself."""
