/** `genwatt run`: a command (`-- CMD ARG…`) or a server backend (`--backend forge|comfyui`), measured. */
import { resolve } from 'node:path';
import { UsageError, sessionFlags, type RawFlags } from './flags.js';
import { measureCommand } from './measure.js';

export async function runCommand(a: RawFlags, command: string[], positional: string[]): Promise<number> {
  const f = sessionFlags(a);
  const { backendConfig, BackendConfigError, expectedImages } = await import('../backends/backend-config.js');
  let backend;
  try {
    backend = backendConfig(
      {
        backend: a.backend as string | undefined,
        url: a.url as string | undefined,
        prompt: a.prompt as string | undefined,
        negativePrompt: a['negative-prompt'] as string | undefined,
        steps: a.steps as number | undefined,
        width: a.width as number | undefined,
        height: a.height as number | undefined,
        cfg: a.cfg as number | undefined,
        sampler: a.sampler as string | undefined,
        scheduler: a.scheduler as string | undefined,
        seed: a.seed as number | undefined,
        batchSize: a['batch-size'] as number | undefined,
        batchCount: a['batch-count'] as number | undefined,
        requests: a.requests as number | undefined,
        workflow: a.workflow as string | undefined,
        set: a.set as string[] | undefined,
        requestTimeoutSeconds: a['request-timeout'] as number | undefined,
        apiAuthFile: a['api-auth-file'] as string | undefined,
      },
      process.cwd(),
    );
  } catch (err) {
    if (err instanceof BackendConfigError) throw new UsageError(err.message);
    throw err;
  }
  const out = a.out === undefined ? null : resolve(String(a.out));
  if (backend) {
    if (command.length || positional.length) throw new UsageError(`--backend ${backend.kind} drives the server: give no command`);
    if (!out) throw new UsageError(`--backend ${backend.kind} needs --out: the folder the server saves its images into (images are counted there)`);
    // Forge says how many images a run asks for (requests × batch size × batches): n/N and an ETA.
    const expected = expectedImages(backend);
    return measureCommand(f, {
      mode: 'run',
      argv: null,
      backend,
      outDir: out,
      defaultIdleSeconds: 5,
      defaultRecord: true,
      ...(expected !== null ? { expectedImages: expected } : {}),
    });
  }
  if (command.length === 0)
    throw new UsageError(
      positional.length ? 'put the command after -- (genwatt run --out DIR -- CMD ARG…)' : 'no command given: genwatt run --out DIR -- CMD ARG…',
    );
  if (positional.length) throw new UsageError(`unexpected argument "${positional[0]}" before -- (options go before --, the command after it)`);
  // Without the folder the images land in, nothing can be measured per image.
  if (!out) throw new UsageError('--out: the folder your generator writes images into (genwatt run --out DIR -- CMD ARG…)');
  return measureCommand(f, { mode: 'run', argv: command, outDir: out, defaultIdleSeconds: 5, defaultRecord: true });
}
