#!/bin/sh
# Tools some tests use: Chromium (flame graphs rendered in a real browser), Go (`go tool pprof`
# reads our pprof export), Java 17 (PySpark runs the dataset queries in local mode) and the
# speedscope web app from npm (it must import our folded and speedscope files). Debian's packages are installed when missing and this runs as root with
# apt-get; speedscope is unpacked into tests/.tools/ when npm is there. Otherwise it says so, and
# those tests skip with a reason.
SPEEDSCOPE_VERSION=1.25.0
here=$(dirname "$0")
if [ ! -f "$here/.tools/speedscope/package/dist/release/index.html" ]; then
  if command -v npm >/dev/null 2>&1; then
    mkdir -p "$here/.tools/speedscope" &&
      (cd "$here/.tools/speedscope" && npm pack -q "speedscope@$SPEEDSCOPE_VERSION" >/dev/null 2>&1 &&
        tar xzf "speedscope-$SPEEDSCOPE_VERSION.tgz") ||
      echo "could not fetch speedscope from npm; its tests will skip" >&2
  else
    echo "npm is missing: the speedscope import tests will skip" >&2
  fi
fi
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v go >/dev/null 2>&1 || need="$need golang-go"
command -v java >/dev/null 2>&1 || need="$need openjdk-17-jre-headless"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing$need for the browser, pprof and Spark tests" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends $need; } >/dev/null 2>&1 ||
    echo "could not install$need; those tests will skip" >&2
else
  echo "not installing$need (needs root and apt-get); those tests will skip" >&2
fi
exit 0
