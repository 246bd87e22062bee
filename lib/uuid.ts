/** A UUID in its text form (row ids, Temporal's run ids). Zod-free: modules loaded before zod's OpenAPI extension import it. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
