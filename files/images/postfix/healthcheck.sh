#!/bin/bash
# The container's health check: the Postfix master runs, postsrsd answers on its forward table
# port (without it every message defers), and the MTA-STS resolver on its socketmap port. A script, not an inline command: podman 4.3's Docker API
# splits a health check's arguments at spaces.
set -eu
postfix status >/dev/null 2>&1
exec 3<>/dev/tcp/127.0.0.1/10001
exec 4<>/dev/tcp/127.0.0.1/8461
