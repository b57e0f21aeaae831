"""The /docs page: plain HTML rendered from the OpenAPI document, no scripts, no CDN."""

from __future__ import annotations

import json
from html import escape
from typing import Any

_CSS = """
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-top:1px solid #ccc;padding-top:1rem}code,pre{font-family:ui-monospace,monospace}
pre{background:#f5f5f5;padding:.75rem;overflow-x:auto}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.m{font-weight:bold;text-transform:uppercase;margin-right:.5rem}
"""

_EXAMPLE = {"text": "【某仲裁委员会】您的案件已立案，请于24小时内缴纳费用 http://example.cc", "sender": "10690000"}




def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"] if s) or "any"
    if "enum" in schema:
        return " | ".join(f"<code>{escape(json.dumps(v, ensure_ascii=False))}</code>" for v in schema["enum"])
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if schema.get("type") == "object" and "additionalProperties" in schema:
        return "object"
    return escape(str(schema.get("type", "any")))


def _fields(schema: dict[str, Any]) -> str:
    props = schema.get("properties", {})
    if not props:
        return ""
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code>{' (required)' if name in required else ''}</td>"
        f"<td>{_type(sub)}</td><td>{escape(sub.get('description', ''))}</td></tr>"
        for name, sub in props.items()
    )
    return f"<table><tr><th>Field</th><th>Type</th><th>Meaning</th></tr>{rows}</table>"


def _operation(doc: dict[str, Any], path: str, method: str, op: dict[str, Any]) -> str:
    out = [f'<h3><span class="m">{escape(method)}</span><code>{escape(path)}</code> — '
           f'{escape(op.get("summary", ""))}</h3>', f"<p>{escape(op.get('description', ''))}</p>"]
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body:
        out.append(f"<p>Request body: {_type(body)}</p>")
        if path == "/v1/verify":
            example = json.dumps(_EXAMPLE, ensure_ascii=False)
            out.append("<pre>curl -s -H 'Content-Type: application/json' -H 'Accept-Language: en' "
                       f"-d '{escape(example)}' http://HOST/v1/verify</pre>")
    rows = []
    for status, resp in op.get("responses", {}).items():
        content = resp.get("content", {})
        kinds = ", ".join(f"{escape(ct)} {_type(c.get('schema', {}))}" for ct, c in content.items())
        rows.append(f"<tr><td>{escape(status)}</td><td>{escape(resp.get('description', ''))}</td>"
                    f"<td>{kinds}</td></tr>")
    out.append("<table><tr><th>Status</th><th>When</th><th>Body</th></tr>" + "".join(rows) + "</table>")
    return "\n".join(out)


def render_docs(doc: dict[str, Any]) -> str:
    info = doc.get("info", {})
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width, initial-scale=1">',
        f"<title>{escape(info.get('title', 'API'))} — API</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(info.get('title', ''))} <small>{escape(info.get('version', ''))}</small></h1>",
        f"<p>{escape(info.get('summary', ''))}</p><p>{escape(info.get('description', ''))}</p>",
        '<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>',
        "<h2>Endpoints</h2>",
    ]
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            parts.append(_operation(doc, path, method, op))
    parts.append("<h2>Errors</h2><p>Every error is <code>application/problem+json</code> with "
                 "<code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code>, "
                 "<code>errors</code> (<code>loc</code>, <code>msg</code>) and "
                 "<code>request_id</code>.</p><table><tr><th>Type</th><th>Meaning</th></tr>")
    for uri, text in doc.get("x-problem-types", {}).items():
        slug = uri.rsplit("#", 1)[-1]
        parts.append(f'<tr id="{escape(slug)}"><td><code>{escape(uri)}</code></td>'
                     f"<td>{escape(text)}</td></tr>")
    parts.append("</table><h2>Schemas</h2>")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        parts.append(f'<h3 id="schema-{escape(name)}">{escape(name)}</h3>'
                     f"<p>{escape(schema.get('description', ''))}</p>{_fields(schema)}")
    parts.append("</body></html>")
    return "\n".join(parts)
