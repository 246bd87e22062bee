"""Schemathesis hooks for test/api/fuzz.test.ts (loaded through SCHEMATHESIS_HOOKS)."""
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
