"""The pages. Each module is thin: it reads the request, calls a service, renders."""
