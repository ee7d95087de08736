/**
 * Loads Ink, React and the dashboard component once. React picks its build when it is first
 * evaluated: without NODE_ENV it is the development build, which here kept a performance entry per
 * render (the heap grew ~3 MB/s during a replay) and renders slower. genwatt loads the production
 * build and puts NODE_ENV back as it was, so generators it starts see the user's environment.
 */
import { borrowEnv } from '../backends/borrowed-env.js';
import { installFastOutput } from './ink-fast-output.js';

type InkModules = [typeof import('ink'), typeof import('react'), typeof import('../../components/Dashboard.js')];

let loading: Promise<InkModules> | undefined;

export function loadInk(): Promise<InkModules> {
  if (loading) return loading;
  // The user's own NODE_ENV (development, say) is kept.
  const restore = process.env.NODE_ENV === undefined ? borrowEnv('NODE_ENV', 'production') : () => undefined;
  loading = Promise.all([import('ink'), import('react'), import('../../components/Dashboard.js'), installFastOutput()]).then(
    ([ink, react, dashboard]): InkModules => {
      restore();
      return [ink, react, dashboard];
    },
    (err: unknown) => {
      restore();
      throw err;
    },
  );
  return loading;
}
