/** A recording that cannot be read: the message names the file and, where known, the line. */
export class SessionFileError extends Error {
  readonly invalidSession = true;
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`, options);
  }
}
