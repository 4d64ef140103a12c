#!/usr/bin/env bash
# install-deps.sh: install what the real video functions need to run locally.
#
# The functions (functions/*.go) decode, scale, upscale and encode through
# ffmpeg and ffprobe; everything else is Go. This script installs Debian's
# ffmpeg package when ffmpeg or ffprobe is missing and does nothing otherwise,
# so run.sh can call it on every run. It needs root (or sudo) and Debian's
# package repositories; set CNAV_SKIP_DEPS=1 to skip it.
set -euo pipefail

if [ "${CNAV_SKIP_DEPS:-}" = 1 ]; then
	exit 0
fi
if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps.sh: ffmpeg is missing and apt-get is not available: install ffmpeg by hand" >&2
	exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "install-deps.sh: ffmpeg is missing and installing it needs root" >&2
		exit 1
	fi
fi
echo "install-deps.sh: installing ffmpeg (Debian package)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq ffmpeg >/dev/null
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1
