"""Schemathesis hooks for test/api/fuzz.test.ts (loaded through SCHEMATHESIS_HOOKS)."""
import uuid

import schemathesis
from schemathesis.generation.modes import GenerationMode


@schemathesis.hook
def filter_case(ctx, case):
    # A cursor is an opaque token this API handed out (base64url of the last row's sort key and
    # id); any other string is refused with 400, as it must be, and no schema can describe the
    # set of tokens issued. So schema-valid cases carry no cursor; negative ones still do, and
    # test/api/document.test.ts covers made-up cursors.
    if case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE:
        return not (case.query and "cursor" in case.query)
    return True


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # An Idempotency-Key names one request: sent again with another body it is refused with 422
    # (test/api/tenants.test.ts), which schemathesis's generated keys, reused across cases, keep
    # meeting. Schema-valid cases each send a fresh key, as a client does for a new request;
    # negative ones keep the generated value.
    if case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE and case.headers:
        for name in list(case.headers):
            if name.lower() == "idempotency-key":
                case.headers[name] = str(uuid.uuid4())
