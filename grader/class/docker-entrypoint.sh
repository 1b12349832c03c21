#!/bin/sh
# The container's entry point: `docker run avsock-grader [grade|check|doctor] [options]`
# (grade when the first word is an option). Runs from the checkout this script is in.
set -e
cd "$(dirname "$0")/../.."
cmd=grade
case "${1:-}" in
  grade | check | doctor) cmd="$1"; shift ;;
esac
case "$cmd" in
  grade) entry=grader/cli.ts ;;
  check) entry=src/cli/check.ts ;;
  doctor) entry=src/cli/doctor.ts ;;
esac
exec node --import tsx "$entry" "$@"
