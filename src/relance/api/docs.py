"""The browsable docs page: the OpenAPI document rendered on the server as plain HTML —
every operation, its parameters, its body and its answers. No script at all (Swagger UI
and ReDoc load a bundle from a CDN unless it is vendored, and need inline script that the
Content-Security-Policy forbids); the document itself is one link away."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from relance.api.main import api

METHODS = ("get", "post", "patch", "put", "delete")


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else schema.get("type", "")


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for route, item in document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            found.append(
                {
                    "method": method.upper(),
                    "path": route,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "tag": (operation.get("tags") or [""])[0],
                    "parameters": [
                        {
                            "name": p["name"],
                            "where": p["in"],
                            "required": p.get("required", False),
                            "type": _ref_name(p.get("schema", {})) or "",
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "body": _ref_name(body.get("schema", {})) if body else "",
                    "answers": sorted(operation.get("responses", {})),
                }
            )
    return found


def schemas(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        fields = []
        for field, spec in schema.get("properties", {}).items():
            kinds = [_ref_name(s) or "null" for s in spec.get("anyOf", [])] or [
                _ref_name(spec) or ""
            ]
            choices = spec.get("enum") or [
                c for s in spec.get("anyOf", []) for c in s.get("enum", [])
            ]
            fields.append(
                {
                    "name": field,
                    "type": " | ".join(k for k in kinds if k),
                    "required": field in required,
                    "choices": ", ".join(str(c) for c in choices),
                    "description": spec.get("description", ""),
                }
            )
        found.append({"name": name, "description": schema.get("description", ""), "fields": fields})
    return found


def page(request: HttpRequest) -> HttpResponse:
    document = api.get_openapi_schema(path_params={})
    return render(
        request,
        "api/docs.html",
        {
            "title": document["info"]["title"],
            "version": document["info"]["version"],
            "description": document["info"].get("description", ""),
            "operations": operations(document),
            "schemas": schemas(document),
        },
    )
