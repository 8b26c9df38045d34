/**
 * The few globals the public type declarations name, declared here as the subset envbuild's
 * API uses, so a TypeScript consumer needs neither `@types/node` nor the DOM library to compile
 * against `envbuild` or `envbuild/recipe`. Each merges with the full declaration when the
 * consumer has one (same member types), and adds nothing at run time.
 */
declare global {
  /** An abort signal (Node's or the DOM's): envbuild reads whether, and stops when, it is aborted. */
  interface AbortSignal {
    readonly aborted: boolean;
    throwIfAborted(): void;
  }
  /** A URL (Node's or the DOM's), as `MANIFEST_SCHEMA_URL` is one. */
  interface URL {
    toString(): string;
  }
}

export {};
