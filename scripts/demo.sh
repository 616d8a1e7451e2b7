#!/usr/bin/env bash
# Installs what is missing, builds cordon, and runs a command in a sandbox in the current
# directory on the built-in default profile (:workspace), showing what is allowed and refused.
set -euo pipefail
here=$(pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/install-deps.sh"
cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$repo/build" -j"$(nproc)" --target cordon >/dev/null
cordon="$repo/build/src/cli/cordon"

echo "cordon exec in $here (profile :workspace)"
echo
cd "$here"
"$cordon" exec -- /bin/sh -c '
check() { label=$1; shift; if "$@" >/dev/null 2>&1; then echo "  allowed: $label"; else echo "  refused: $label"; fi; }
echo "inside the sandbox, as $(id -un) (pid $$):"
check "read /etc/os-release"                 cat /etc/os-release
check "write a file in the workspace"        sh -c "echo hi > .cordon-demo && rm .cordon-demo"
check "write to /tmp"                        sh -c "echo hi > /tmp/.cordon-demo-$$ && rm /tmp/.cordon-demo-$$"
check "write to \$HOME ($HOME)"              sh -c "echo hi > \"$HOME/.cordon-demo\""
check "write to /etc"                        sh -c "echo hi > /etc/cordon-demo"
if [ -d .git ]; then
  check "read git history"                   git log -1 --format=%h
  check "write .git/config"                  sh -c "echo >> .git/config"
fi
check "see host processes (only $(ls /proc | grep -c "^[0-9]") visible)" sh -c "[ $(ls /proc | grep -c "^[0-9]") -gt 10 ]"
check "reach the network (TCP to the host'"'"'s 127.0.0.1:22)" bash -c "exec 3<>/dev/tcp/127.0.0.1/22"
check "mount a filesystem"                   mount -t tmpfs none /tmp
'
echo
echo "what cordon did, step by step: $cordon explain"
