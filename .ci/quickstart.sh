#!/usr/bin/env bash
# Runs the README's first command, exactly as written, in a clean checkout in a
# temporary folder with no DATABASE_URL, then signs up, gets a token and
# creates a task through the services it brought up. Exits non-zero on failure.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cmd="$(awk '/\*\*Start the product\*\*/{f=1} f && /^```sh/{getline; print; exit}' "$repo/README.md")"
[ -n "$cmd" ] || { echo "quickstart: no start command found in README.md"; exit 1; }
echo "quickstart: $cmd"

tmp="$(mktemp -d)"
git clone -q "$repo" "$tmp/taskflow"
cd "$tmp/taskflow"
unset DATABASE_URL
log="$tmp/start.log"
setsid bash -c "$cmd" > "$log" 2>&1 &
pid=$!

cleanup() {
  kill -INT -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
fail() { echo "quickstart: $1"; tail -40 "$log"; cleanup; exit 1; }

for _ in $(seq 1 360); do
  grep -q "TaskFlow is running" "$log" && break
  kill -0 "$pid" 2>/dev/null || fail "start exited early"
  sleep 0.5
done
grep -q "TaskFlow is running" "$log" || fail "services did not come up in 3 minutes"
[ -f .data/pglite/PG_VERSION ] || fail "no embedded PGlite data in the clean checkout"

jar="$tmp/cookies"
curl -sf -c "$jar" -H 'content-type: application/json' \
  -d '{"email":"newcomer@example.com","password":"change-me-please","name":"New Comer"}' \
  http://localhost:3001/api/auth/sign-up/email > /dev/null || fail "sign-up failed"
token="$(curl -sf -b "$jar" http://localhost:3001/api/auth/token | sed -E 's/.*"token":"([^"]+)".*/\1/')"
[ -n "$token" ] || fail "no token"
status="$(curl -s -o "$tmp/task.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"title":"My first task"}' http://localhost:8000/api/tasks)"
[ "$status" = 201 ] || fail "create task answered $status: $(cat "$tmp/task.json")"
grep -q '"project_slug":"new-comer-tasks"' "$tmp/task.json" || fail "unexpected task: $(cat "$tmp/task.json")"
page="$(curl -sf http://localhost:3000/)" || fail "the web app does not answer"
echo "$page" | grep -q '<div id="root">' || fail "the web app serves no page"
web_session="$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" http://localhost:3000/api/auth/get-session)"
[ "$web_session" = 200 ] || fail "the web app's auth proxy answered $web_session"
unauth="$(curl -s -o /dev/null -w '%{http_code}' http://localhost:8000/api/tasks)"
[ "$unauth" = 401 ] || fail "no token answered $unauth"

kill -INT -- "-$pid"
for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
kill -0 "$pid" 2>/dev/null && fail "did not stop on Ctrl-C"
grep -q '"msg":"stopped"' "$log" || fail "services did not stop cleanly"
rm -rf "$tmp"
echo "quickstart: web app, sign-up, token and task creation work on a clean checkout; Ctrl-C stops it"
