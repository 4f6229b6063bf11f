#!/usr/bin/env python3
"""A TaskFlow REST client in plain Python (standard library only).

Creates a task, lists it, starts it, reports progress with the original
query-parameter form, completes it and reads its audit trail. Exits non-zero
on any surprise.

    TASKFLOW_URL=http://127.0.0.1:8000 TASKFLOW_TOKEN=... python3 taskflow_smoke.py
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

BASE = os.environ.get("TASKFLOW_URL", "http://127.0.0.1:8000").rstrip("/")
TOKEN = os.environ.get("TASKFLOW_TOKEN")


class Surprise(Exception):
    pass


def call(method, path, body=None, query=None):
    url = BASE + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", "Bearer " + TOKEN)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"null")


def expect(condition, message):
    if not condition:
        raise Surprise(message)


def main():
    if not TOKEN:
        print("Set TASKFLOW_TOKEN to a bearer token", file=sys.stderr)
        return 2

    status, headers, task = call("POST", "/api/tasks", {"title": "Test Task from Python"})
    expect(status == 201, "create: expected 201, got %s %s" % (status, task))
    expect(task["status"] == "pending", "create: new task is not pending: %s" % task)
    task_id = task["id"]
    expect(headers.get("Location") == "/api/tasks/%d" % task_id, "create: Location header %s" % dict(headers))

    status, _, tasks = call("GET", "/api/tasks", query={"status": "pending", "limit": 100})
    expect(status == 200 and isinstance(tasks, list), "list: %s %s" % (status, tasks))
    expect(any(t["id"] == task_id for t in tasks), "list: task %d missing" % task_id)

    status, _, task = call("POST", "/api/tasks/%d/start" % task_id)
    expect(status == 200 and task["status"] == "in_progress", "start: %s %s" % (status, task))

    status, _, again = call("POST", "/api/tasks/%d/start" % task_id)
    expect(status == 409, "second start: expected 409, got %s" % status)
    expect(again["code"] == "CONFLICT" and again["status_code"] == 409, "second start body: %s" % again)

    status, _, task = call("POST", "/api/tasks/%d/progress" % task_id, query={"percent": 50, "note": "halfway"})
    expect(status == 200 and task["progress_percent"] == 50, "progress: %s %s" % (status, task))

    status, _, task = call("POST", "/api/tasks/%d/complete" % task_id)
    expect(status == 200 and task["status"] == "completed", "complete: %s %s" % (status, task))
    expect(task["progress_percent"] == 100, "complete: progress is %s" % task["progress_percent"])

    status, _, trail = call("GET", "/api/tasks/%d/audit" % task_id)
    expect(status == 200, "audit: %s %s" % (status, trail))
    actions = [entry["action"] for entry in trail]
    expect(actions == ["created", "started", "progress", "completed"], "audit: %s" % actions)
    expect(trail[2]["context"].get("note") == "halfway", "audit: note lost: %s" % trail[2])

    status, _, missing = call("GET", "/api/tasks/999999999")
    expect(status == 404 and missing["code"] == "NOT_FOUND", "missing task: %s %s" % (status, missing))

    print(json.dumps({"task_id": task_id, "actions": actions}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Surprise as surprise:
        print("surprise: %s" % surprise, file=sys.stderr)
        sys.exit(1)
    except Exception as error:  # network failures and the like
        print("error: %r" % (error,), file=sys.stderr)
        sys.exit(1)
