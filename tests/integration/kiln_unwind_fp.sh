#!/usr/bin/env bash
# kiln with `--unwind fp` added to `kiln record`, for running the record and off-CPU cases with
# frame-pointer stacks; KILN_BINARY is the kiln to run.
if [[ ${1:-} == record ]]; then
  shift
  exec "$KILN_BINARY" record --unwind fp "$@"
fi
exec "$KILN_BINARY" "$@"
