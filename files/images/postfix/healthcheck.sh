#!/bin/bash
# The container's health check: the Postfix master runs and postsrsd answers on its forward table
# port (without it every message defers). A script, not an inline command: podman 4.3's Docker API
# splits a health check's arguments at spaces.
set -eu
postfix status >/dev/null 2>&1
exec 3<>/dev/tcp/127.0.0.1/10001
