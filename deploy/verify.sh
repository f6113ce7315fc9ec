#!/usr/bin/env bash
# Static checks of the deployment files that can run without systemd as PID 1,
# a container runtime or a cluster:
#   1. systemd-analyze verify deploy/systemd/pingate.service (on a temp copy
#      whose ExecStart points at a stub, since verify requires the binary);
#      any diagnostic output counts as a failure (unknown keys only warn).
#   2. the YAML files parse (python3 with PyYAML).
# Each check is skipped with a message when its tool is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
status=0

if command -v systemd-analyze >/dev/null 2>&1; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  printf '#!/bin/sh\nexit 0\n' >"$tmp/pingate"
  chmod 0755 "$tmp/pingate"
  sed "s#/usr/local/bin/pingate#$tmp/pingate#g" "$here/systemd/pingate.service" >"$tmp/pingate.service"
  if out="$(systemd-analyze verify "$tmp/pingate.service" 2>&1)" && [ -z "$out" ]; then
    echo "ok: systemd-analyze verify pingate.service"
  else
    echo "FAIL: systemd-analyze verify pingate.service"
    printf '%s\n' "$out"
    status=1
  fi
else
  echo "skip: systemd-analyze not installed (apt-get install systemd)"
fi

if command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null; then
  for f in "$here/docker/compose.yaml" "$here/kubernetes/sidecar.yaml" "$here/pingate.example.yaml"; do
    if python3 -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$f"; then
      echo "ok: YAML parses: ${f#"$here/"}"
    else
      echo "FAIL: YAML does not parse: ${f#"$here/"}"
      status=1
    fi
  done
else
  echo "skip: python3 with PyYAML not installed (YAML syntax check)"
fi

exit "$status"
