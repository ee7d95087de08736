/**
 * Loads Ink, React and the dashboard component once. React picks its build when it is first
 * evaluated: without NODE_ENV it is the development build, which here kept a performance entry per
 * render (the heap grew ~3 MB/s during a replay) and renders slower. genwatt loads the production
 * build and puts NODE_ENV back as it was, so generators it starts see the user's environment.
 */
type InkModules = [typeof import('ink'), typeof import('react'), typeof import('../../components/Dashboard.js')];

let loading: Promise<InkModules> | undefined;
/** Set while NODE_ENV is borrowed: what a child process must see instead. */
let borrowed: { value: string | undefined } | null = null;

/** NODE_ENV as the user had it, while genwatt borrows it (empty object otherwise). */
export function userNodeEnv(): { NODE_ENV?: string } {
  return borrowed ? { NODE_ENV: borrowed.value } : {};
}

export function loadInk(): Promise<InkModules> {
  if (loading) return loading;
  const had = Object.prototype.hasOwnProperty.call(process.env, 'NODE_ENV');
  const before = process.env.NODE_ENV;
  if (!had) {
    process.env.NODE_ENV = 'production';
    borrowed = { value: undefined };
  }
  const restore = () => {
    borrowed = null;
    if (!had) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = before;
  };
  loading = Promise.all([import('ink'), import('react'), import('../../components/Dashboard.js')]).then(
    (m) => {
      restore();
      return m;
    },
    (err: unknown) => {
      restore();
      throw err;
    },
  );
  return loading;
}
