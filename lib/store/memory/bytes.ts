/** The store's one byte ↔ string scheme lives in `lib/store/bytes.ts` (every backend uses it); kept here for imports. */
export * from '../bytes.ts';
