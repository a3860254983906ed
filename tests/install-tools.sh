#!/bin/sh
# System tools two groups of tests use: Chromium (flame graphs rendered in a real browser) and Go
# (`go tool pprof` reads our pprof export). When one is missing and this runs as root with
# apt-get, it installs Debian's packages; otherwise it says so, and those tests skip with a reason.
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v go >/dev/null 2>&1 || need="$need golang-go"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing$need for the browser and pprof tests" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends $need; } >/dev/null 2>&1 ||
    echo "could not install$need; those tests will skip" >&2
else
  echo "not installing$need (needs root and apt-get); those tests will skip" >&2
fi
exit 0
