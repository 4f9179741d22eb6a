#!/usr/bin/env bash
# Regenerate iris_definition.json with the SageMaker Python SDK 3.x.
#
# 3.x cannot be installed beside the 2.x release the tests use, so it gets a
# virtualenv of its own. The SDK compiles the definition against a running Airlock
# (it checks the default bucket while it compiles); the server is started here on
# a scratch state dir and stopped afterwards.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
venv="${SDK3_VENV:-${TMPDIR:-/tmp}/airlock-sdk3}"
version="3.27.0"

if ! "$venv/bin/python" -c "import sagemaker.mlops" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "sagemaker==$version"
fi

state="$(mktemp -d)"
port="$("$repo/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$repo/.venv/bin/airlock" server --state-dir "$state" --port "$port" >"$state/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
done
eval "$("$repo/.venv/bin/airlock" env --state-dir "$state" --port "$port")"
export SAGEMAKER_USER_CONFIG_OVERRIDE="$repo/examples/iris/sagemaker-config.yaml"
# The placeholder role of the definition is not in this server: skip the SDK's IAM check.
export SAGEMAKER_VALIDATE_ROLE=false
"$venv/bin/python" "$here/generate.py" >"$here/iris_definition.json"
echo "wrote $here/iris_definition.json with sagemaker $version"
