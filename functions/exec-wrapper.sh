#!/bin/bash
# Lambda's exec wrapper (AWS_LAMBDA_EXEC_WRAPPER in serverless.yml). Lambda's Node.js bootstrap
# starts the runtime as
#   /var/lang/bin/node --expose-gc --max-http-header-size 81920 \
#     --max-semi-space-size=<memory/20> --max-old-space-size=<memory × 0.9> /var/runtime/index.mjs
# and, with a wrapper set, runs the wrapper with that command line instead. Two changes to how Node
# starts, for its cold start (docs/performance.md); test/exec-wrapper.test.ts runs it as Lambda does.
#
# 1. --expose-gc changes V8's flag hash (v8.cachedDataVersionTag()), so V8 rejects the code cache
#    Node ships for its own modules, and every built-in a cold start loads (http, https, tls,
#    crypto, …) is compiled from source. Neither the runtime client nor this code calls gc().
#    --no-expose-gc, after Lambda's flags (the last one wins) and before the runtime's script, turns
#    it back off; the rest of the command line is passed on as it came.
# 2. glibc's malloc (mallopt(3)) hands the top of its heap back to the kernel whenever 128 KB of it
#    is free, and V8's parser and compiler allocate and free their zones over and over while a cold
#    start loads code: each time, the next zone faults those pages in again. Growing the heap 16 MB
#    at a time and not trimming it keeps them. The function's environment can override either.
export MALLOC_TOP_PAD_="${MALLOC_TOP_PAD_:-16777216}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-268435456}"
args=("$@")
exec "${args[@]:0:$#-1}" --no-expose-gc "${args[@]: -1}"
