#!/usr/bin/env bash
# TaskFlow's REST API from a shell: a token, a task, the workflow, the audit trail.
#   bash examples/curl.sh                 (against `pnpm start` on localhost)
# TASKFLOW_TOKEN: a bearer token to use; without one, signs in as TASKFLOW_EMAIL /
# TASKFLOW_PASSWORD, creating that account on first use.
set -euo pipefail
API=${TASKFLOW_URL:-http://localhost:8000}
AUTH=${TASKFLOW_AUTH_URL:-http://localhost:3001}
EMAIL=${TASKFLOW_EMAIL:-example@example.com}
PASSWORD=${TASKFLOW_PASSWORD:-change-me-please}

TOKEN=${TASKFLOW_TOKEN:-}
if [ -z "$TOKEN" ]; then
  jar=$(mktemp)
  trap 'rm -f "$jar"' EXIT
  credentials="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
  # Sign in; the first time, sign up instead (the session cookie lands in $jar either way).
  if ! curl -sf -c "$jar" -H 'content-type: application/json' -d "$credentials" \
    "$AUTH/api/auth/sign-in/email" > /dev/null; then
    curl -sf -c "$jar" -H 'content-type: application/json' \
      -d "${credentials%\}},\"name\":\"Example\"}" "$AUTH/api/auth/sign-up/email" > /dev/null
  fi
  # The session buys a short-lived JWT for the API.
  TOKEN=$(curl -sf -b "$jar" "$AUTH/api/auth/token" | sed -E 's/.*"token":"([^"]+)".*/\1/')
fi

call() { # METHOD PATH [JSON body]: prints the response; fails on an HTTP error
  curl -sS --fail-with-body -X "$1" "$API$2" -H "Authorization: Bearer $TOKEN" \
    -H 'x-taskflow-client: curl-example' ${3:+-H 'content-type: application/json' -d "$3"}
  echo
}

task=$(call POST /api/tasks '{"title": "Try TaskFlow from curl", "priority": "high"}')
id=$(echo "$task" | sed -E 's/^\{"id":([0-9]+).*/\1/')
echo "created task $id"
call POST "/api/tasks/$id/start" > /dev/null
call POST "/api/tasks/$id/progress" '{"percent": 50, "note": "halfway"}' > /dev/null
echo "in progress, assigned to me:"
call GET '/api/tasks?status=in_progress&assigned_to=me'
echo "audit trail of task $id:"
call GET "/api/tasks/$id/audit"
