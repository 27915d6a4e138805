#!/usr/bin/env bash
# The system packages the suite needs: redis-server, chromium, PostgreSQL 15's initdb/pg_ctl,
# nginx (tests/e2e/test_nginx_deploy.py runs deploy/nginx.conf), openssl (its certificate).
# As root, missing ones are installed with apt-get; otherwise this says exactly what to install.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  missing+=(postgresql)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages the tests need: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "The test suite needs these system packages, which are missing: ${missing[*]}" >&2
echo "Install them with:  sudo apt-get install ${missing[*]}" >&2
echo "(Without them the tests that need them are skipped, unless REQUIRE_SERVICES=1.)" >&2
exit 0
