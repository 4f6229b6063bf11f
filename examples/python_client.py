#!/usr/bin/env python3
"""TaskFlow's REST API from Python, with the standard library only.

    python3 examples/python_client.py            (against `pnpm start` on localhost)

TASKFLOW_TOKEN: a bearer token to use; without one, signs in as TASKFLOW_EMAIL /
TASKFLOW_PASSWORD, creating that account on first use. TASKFLOW_URL and
TASKFLOW_AUTH_URL name the API and the identity service.
"""

import http.cookiejar
import json
import os
import sys
import urllib.error
import urllib.request

API = os.environ.get("TASKFLOW_URL", "http://localhost:8000").rstrip("/")
AUTH = os.environ.get("TASKFLOW_AUTH_URL", "http://localhost:3001").rstrip("/")


class ApiError(Exception):
    """An answer other than 2xx, with the API's error body ({"error", "status_code", "code"})."""

    def __init__(self, status, body):
        message = body.get("error") or body.get("message")
        super().__init__(f"{status} {body.get('code', '')}: {message}")
        self.status = status
        self.body = body


def request(opener, method, url, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with opener.open(req, timeout=10) as res:
            text = res.read().decode()
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        raise ApiError(error.code, json.loads(text) if text else {}) from None
    return json.loads(text) if text else None


def sign_in():
    """A JWT for the API: sign in (or up, the first time) and trade the session cookie for it."""
    email = os.environ.get("TASKFLOW_EMAIL", "example@example.com")
    password = os.environ.get("TASKFLOW_PASSWORD", "change-me-please")
    cookies = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    session = urllib.request.build_opener(cookies)
    credentials = {"email": email, "password": password}
    try:
        request(session, "POST", f"{AUTH}/api/auth/sign-in/email", credentials)
    except ApiError as error:
        if error.status != 401:
            raise
        request(session, "POST", f"{AUTH}/api/auth/sign-up/email", {**credentials, "name": "Example"})
    return request(session, "GET", f"{AUTH}/api/auth/token")["token"]


def main():
    token = os.environ.get("TASKFLOW_TOKEN") or sign_in()
    opener = urllib.request.build_opener()
    headers = {"Authorization": f"Bearer {token}", "x-taskflow-client": "python-example"}

    def api(method, path, body=None):
        return request(opener, method, f"{API}{path}", body, headers)

    task = api("POST", "/api/tasks", {"title": "Try TaskFlow from Python", "priority": "high"})
    print(f"created task {task['id']} in project {task['project_slug']}")
    api("POST", f"/api/tasks/{task['id']}/start")
    task = api("POST", f"/api/tasks/{task['id']}/progress", {"percent": 50, "note": "halfway"})
    print(f"task {task['id']}: {task['status']}, {task['progress_percent']}%")
    mine = api("GET", "/api/tasks?status=in_progress&assigned_to=me")
    print(f"in progress, assigned to me: {', '.join(t['title'] for t in mine)}")
    for row in api("GET", f"/api/tasks/{task['id']}/audit"):
        print(f"  {row['created_at']}  {row['action']:<10} by {row['actor_type']} via {row['client']}")
    # A refusal comes back in the API's error shape: starting it again is a conflict.
    try:
        api("POST", f"/api/tasks/{task['id']}/start")
    except ApiError as error:
        print(f"starting it again: {error}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ApiError, urllib.error.URLError) as error:
        print(f"python_client: {error}", file=sys.stderr)
        sys.exit(1)
