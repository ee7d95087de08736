/**
 * Environment variables genwatt sets on itself for a moment (NODE_ENV while React loads) and must
 * not pass on: a generator started meanwhile gets the user's values back through `childEnvOverrides`.
 */
const borrowed = new Map<string, string | undefined>();

/** Sets `name` for genwatt itself until the returned function puts the user's value back. */
export function borrowEnv(name: string, value: string): () => void {
  const had = Object.prototype.hasOwnProperty.call(process.env, name);
  const before = process.env[name];
  borrowed.set(name, had ? before : undefined);
  process.env[name] = value;
  return () => {
    borrowed.delete(name);
    if (had) process.env[name] = before;
    else delete process.env[name];
  };
}

/** The user's values of what is borrowed now (undefined removes the variable from a child's env). */
export function childEnvOverrides(): Record<string, string | undefined> {
  return Object.fromEntries(borrowed);
}
