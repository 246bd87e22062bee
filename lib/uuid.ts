/**
 * A UUID in its text form (row ids, Temporal's run ids), either case. Zod-free: modules loaded before
 * zod's OpenAPI extension import it. No `i` flag: the API's document states the pattern without its flags.
 */
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
