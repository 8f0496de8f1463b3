"""Schemathesis extensions for infra/test.sh (loaded through SCHEMATHESIS_HOOKS): the
dev server's POST /local/inbound-email takes a raw email (message/rfc822), fuzzed with
the bytes schemathesis makes for any binary body."""

import schemathesis

schemathesis.serializer.alias("message/rfc822", "application/octet-stream")
