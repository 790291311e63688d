/** How many dead letters `npm run dlq -- show` peeks at unless --limit says: apart, so the usage text needs no SDK. */
export const DEFAULT_SHOW_LIMIT = 10;
