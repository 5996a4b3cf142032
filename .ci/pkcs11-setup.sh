#!/usr/bin/env bash
# Installs what the PKCS#11 module's build and tests need (issue 13), only where it is missing. Run as root by
# .ci/run before `npm ci`; idempotent and quiet. nginx is installed for its binary only: the tests start their
# own nginx on random ports, so the packaged service is stopped and disabled again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' || missing+=("$1"); }
need libssl-dev
need opensc
need nginx
need curl
need libengine-pkcs11-openssl
need softhsm2
need procps
if ! command -v java >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
  need openjdk-17-jdk-headless
fi

# pkcs11-provider 1.0 is in bookworm-backports only.
backports=/etc/apt/sources.list.d/strongroom-bookworm-backports.list
if [ ! -f "$backports" ] && [ "$(id -u)" -eq 0 ]; then
  echo 'deb http://deb.debian.org/debian bookworm-backports main' > "$backports"
fi
provider_missing=0
dpkg-query -W -f='${Status}' pkcs11-provider 2>/dev/null | grep -q 'install ok installed' || provider_missing=1

if { [ "${#missing[@]}" -gt 0 ] || [ "$provider_missing" = 1 ]; } && [ "$(id -u)" -ne 0 ]; then
  echo "Missing for the PKCS#11 tests, and this is not root: ${missing[*]} $([ "$provider_missing" = 1 ] && echo pkcs11-provider). Those tests will fail." >&2
  exit 0
fi

if [ "${#missing[@]}" -gt 0 ] || [ "$provider_missing" = 1 ]; then
  # The service must not start on install (a policy-rc.d refusal); the tests run their own nginx.
  policy=/usr/sbin/policy-rc.d
  had_policy=0; [ -e "$policy" ] && had_policy=1
  if [ "$had_policy" = 0 ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; fi
  apt-get update -qq
  if [ "${#missing[@]}" -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [ "$provider_missing" = 1 ]; then
    apt-get install -y -qq --no-install-recommends -t bookworm-backports pkcs11-provider >/dev/null
  fi
  if [ "$had_policy" = 0 ]; then rm -f "$policy"; fi
fi

# The packaged nginx service stays disabled where systemd runs (the policy above kept it from starting).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now nginx >/dev/null 2>&1 || true
fi
