#!/bin/bash
# Lambda's exec wrapper (AWS_LAMBDA_EXEC_WRAPPER in serverless.yml). Lambda's Node.js bootstrap
# starts the runtime as
#   /var/lang/bin/node --expose-gc --max-http-header-size 81920 \
#     --max-semi-space-size=<memory/20> --max-old-space-size=<memory × 0.9> /var/runtime/index.mjs
# and, with a wrapper set, runs the wrapper with that command line instead.
#
# --expose-gc changes V8's flag hash (v8.cachedDataVersionTag()), so V8 rejects the code cache Node
# ships for its own modules, and every built-in a cold start loads (http, https, tls, crypto, …) is
# compiled from source: 12–17 ms of each function's cold start on the bench machine
# (docs/performance.md). Neither the runtime client nor this code calls gc(). --no-expose-gc, after
# Lambda's flags (the last one wins) and before the runtime's script, turns it back off; the rest of
# the command line is passed on as it came. test/exec-wrapper.test.ts runs it as Lambda does.
args=("$@")
exec "${args[@]:0:$#-1}" --no-expose-gc "${args[@]: -1}"
