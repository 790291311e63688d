/** The stack cannot start, and the message says why and what to do, in a line or a few: printed as it is, with no stack trace. */
export class StackStartError extends Error {
  override name = 'StackStartError';
}
