/** Version of the on-disk format written by this code; checked at open. */
export const FORMAT_VERSION = 4;
/**
 * Lowest level of subtree hashes stored in the nodes table (format 4): level
 * 0 is the leaf hash (leaves table), level 1 is computed from two leaf hashes
 * when needed (half the rows, about 21 bytes per leaf saved).
 */
export const STORED_NODE_MIN_LEVEL = 2;
/** Something wrong in storage, or a request beyond what is stored. */
export class StorageError extends Error {
}
