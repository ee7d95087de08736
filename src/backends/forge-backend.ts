/**
 * Stable Diffusion WebUI Forge, Forge Neo and AUTOMATIC1111 (started with `--api`): one
 * `POST /sdapi/v1/txt2img` per request with every setting sent explicitly and `save_images: true`
 * (without it nothing reaches the disk, and the watcher counts the files). Before the run: the
 * model, flags and attention backend as tags, and the save settings that would make the count
 * wrong. Progress: `/sdapi/v1/progress?skip_current_image=true` once a second. Stop: the server
 * has one global job and `/sdapi/v1/interrupt` stops whichever runs, so genwatt interrupts only a
 * job that started after its own request was sent (api.py text2imgapi holds the queue lock: a
 * request can wait behind another client's job).
 */
import type { ChildExit } from '../session/types.js';
import type { BackendConfig, BackendHooks, BackendProgress, RunningBackend } from './backend-types.js';
import { doneExit, failedExit, plural, stoppedExit } from './backend-exit.js';
import { attentionFact, flagsTag, forgeFlavour, saveWarnings } from './forge-facts.js';
import { requestJson } from './http.js';

export { attentionFact, flagsTag } from './forge-facts.js';

const WHAT = 'Forge/A1111 (--api)';
/** The server decodes a live preview for /progress at most this often from us (README). */
const PROGRESS_EVERY_MS = 1000;

interface Txt2ImgResponse {
  images?: unknown[];
  info?: string;
}

/** shared_state.State.dict(): job is '' when idle; job_timestamp changes at every State.begin(). */
interface ProgressResponse {
  progress?: number;
  state?: { job?: string; job_timestamp?: string; sampling_step?: number; sampling_steps?: number; job_no?: number; job_count?: number; interrupted?: boolean };
}

export function txt2imgBody(c: BackendConfig, request: number): Record<string, unknown> {
  const f = c.forge!;
  const perRequest = f.batchSize * f.batchCount;
  const body: Record<string, unknown> = {
    prompt: f.prompt,
    negative_prompt: f.negativePrompt,
    steps: f.steps,
    width: f.width,
    height: f.height,
    cfg_scale: f.cfgScale,
    sampler_name: f.sampler,
    seed: f.seed < 0 ? -1 : f.seed + request * perRequest,
    batch_size: f.batchSize,
    n_iter: f.batchCount,
    save_images: true,
    send_images: false,
  };
  if (f.scheduler) body.scheduler = f.scheduler;
  return body;
}

/** Model, flags, attention and settings as run tags; save-setting warnings as notes. */
async function describeServer(c: BackendConfig, base: string, hooks: BackendHooks): Promise<Record<string, unknown> | null> {
  const opts = (await requestJson<Record<string, unknown>>(WHAT, `${base}/sdapi/v1/options`, { timeoutMs: 15000, auth: c.auth })).body;
  const flags = (await requestJson<Record<string, unknown>>(WHAT, `${base}/sdapi/v1/cmd-flags`, { timeoutMs: 15000, auth: c.auth })).body ?? {};
  const flavour = forgeFlavour(flags);
  const tags: Record<string, string> = { backend: 'forge', 'server-kind': flavour };
  if (typeof opts?.sd_model_checkpoint === 'string')
    tags.model = opts.sd_model_checkpoint.replace(/\s*\[[0-9a-f]+\]$/, '').replace(/\.(safetensors|ckpt|gguf)$/, '');
  const attn = attentionFact(flavour, flags, opts);
  tags.attention = attn.attention;
  if (attn.attention === 'unknown') hooks.note(`attention backend unknown: ${attn.why}; give it with --tag attention=… if you know it`);
  const ft = flagsTag(flags);
  if (ft) tags['cmd-flags'] = ft;
  const f = c.forge!;
  Object.assign(tags, {
    steps: String(f.steps),
    size: `${f.width}x${f.height}`,
    sampler: f.sampler,
    'cfg-scale': String(f.cfgScale),
    'batch-size': String(f.batchSize),
    'batch-count': String(f.batchCount),
  });
  if (f.scheduler) tags.scheduler = f.scheduler;
  hooks.tags(tags);
  for (const w of saveWarnings(opts, f.batchSize * f.batchCount)) hooks.note(w);
  return opts;
}

/** Images a finished (not interrupted) txt2img call saved: its planned seeds, else the images it returned; none when saving is off. */
function savedCount(body: Txt2ImgResponse | undefined, saveOff: boolean): number {
  if (saveOff) return 0;
  try {
    const info = JSON.parse(body?.info ?? '{}') as { all_seeds?: unknown[] };
    if (Array.isArray(info.all_seeds)) return info.all_seeds.length;
  } catch {
    // info is optional: fall back to the images in the answer
  }
  return Array.isArray(body?.images) ? body.images.length : 0;
}

/** api.py `get_memory`: torch.cuda.memory_stats peaks are never reset on the API path, so they are the server process's lifetime peaks. */
async function serverMemoryTags(base: string, auth: BackendConfig['auth']): Promise<Record<string, string>> {
  const mem = await requestJson<{ cuda?: { allocated?: { peak?: number }; reserved?: { peak?: number } } }>(WHAT, `${base}/sdapi/v1/memory`, {
    timeoutMs: 15000,
    auth,
  }).catch(() => undefined);
  const peak = mem?.body?.cuda;
  const tags: Record<string, string> = {};
  if (typeof peak?.allocated?.peak === 'number') tags['server-lifetime-peak-allocated-bytes'] = String(peak.allocated.peak);
  if (typeof peak?.reserved?.peak === 'number') tags['server-lifetime-peak-reserved-bytes'] = String(peak.reserved.peak);
  return tags;
}

export function startForge(c: BackendConfig, hooks: BackendHooks): RunningBackend {
  const base = c.url.replace(/\/+$/, '');
  const stopCtl = new AbortController();
  let made: number | null = 0;
  let prog: BackendProgress | null = null;
  let stopped = false;
  let poll: NodeJS.Timeout | undefined;
  /** The server's job when our request was sent (another client's, if busy). */
  let jobBefore: { busy: boolean; timestamp: string | undefined } | null = null;
  /** A job began after our request was sent: ours (the queue lock serves requests in turn). */
  let oursStarted = false;

  const progress = () =>
    requestJson<ProgressResponse>(WHAT, `${base}/sdapi/v1/progress?skip_current_image=true`, { timeoutMs: 2000, auth: c.auth }).then((r) => r.body?.state);

  const run = async (): Promise<ChildExit> => {
    try {
      const opts = await describeServer(c, base, hooks);
      const f = c.forge!;
      poll = setInterval(() => {
        progress()
          .then((st) => {
            if (!prog || !st) return;
            if (jobBefore && st.job && st.job_timestamp !== jobBefore.timestamp) oursStarted = true;
            const steps = st.sampling_steps ?? null;
            prog = { ...prog, step: oursStarted ? (st.sampling_step ?? null) : 0, steps: steps && steps > 0 ? steps : prog.steps };
            hooks.progress(prog);
          })
          .catch(() => undefined); // progress is a nicety; the request itself reports failures
      }, PROGRESS_EVERY_MS);
      for (let r = 0; r < c.requests && !stopped; r++) {
        prog = { request: r + 1, requests: c.requests, step: 0, steps: f.steps };
        hooks.progress(prog);
        const st = await progress().catch(() => undefined);
        jobBefore = { busy: Boolean(st?.job), timestamp: st?.job_timestamp };
        oursStarted = !jobBefore.busy;
        if (jobBefore.busy) hooks.note(`the server is busy with another job: this run's request ${r + 1} waits for it (measured from now)`);
        const res = await requestJson<Txt2ImgResponse>(WHAT, `${base}/sdapi/v1/txt2img`, {
          body: txt2imgBody(c, r),
          timeoutMs: c.timeoutMs,
          signal: stopCtl.signal,
          auth: c.auth,
        });
        // processing.py: all_seeds lists the planned images, also when interrupted (the unfinished
        // image is not saved: save_incomplete_images is off by default). Only a whole batch says
        // how many were written; after an interrupt, the watched folder's count is the truth.
        const after = await progress().catch(() => undefined);
        const interrupted = stopped || Boolean(after?.interrupted && after.job_timestamp !== jobBefore.timestamp);
        if (interrupted) {
          if (!stopped) hooks.note('the server job was interrupted (from the web UI?): only the images it saved are counted');
          made = null;
          break;
        }
        if (made !== null) made += savedCount(res.body, opts?.samples_save === false);
      }
      const memTags = await serverMemoryTags(base, c.auth);
      if (Object.keys(memTags).length) hooks.tags(memTags);
      return stopped
        ? stoppedExit('/sdapi/v1/interrupt')
        : doneExit(`${WHAT}: ${made === null ? 'interrupted' : `${plural(made, 'image')} saved`} in ${plural(c.requests, 'request')}`);
    } catch (err) {
      return stopped ? stoppedExit('/sdapi/v1/interrupt') : failedExit(WHAT, err);
    } finally {
      if (poll) clearInterval(poll);
    }
  };
  const done = run();
  return {
    pid: undefined,
    done,
    stop() {
      if (stopped) return;
      stopped = true;
      (async () => {
        if (jobBefore && !oursStarted) {
          const st = await progress().catch(() => undefined);
          if (st?.job && st.job_timestamp !== jobBefore.timestamp) oursStarted = true;
        }
        if (jobBefore && !oursStarted) {
          // The running job is another client's: interrupting it would stop their work, not ours.
          hooks.note(
            "the server is still running another client's job that started before this run's request: genwatt did not interrupt it. This run's request stays queued on the server and will run after it: stop it in the web UI (Interrupt) when it starts",
          );
          stopCtl.abort();
          return;
        }
        // Interrupt our job; the blocked txt2img call then returns what was made.
        await requestJson(WHAT, `${base}/sdapi/v1/interrupt`, { body: {}, timeoutMs: 5000, auth: c.auth }).catch(() => stopCtl.abort());
        setTimeout(() => stopCtl.abort(), 15000).unref();
      })().catch((err: unknown) => {
        hooks.note(`could not stop the server's job: ${(err as Error).message}`);
        stopCtl.abort();
      });
    },
    serverImages: () => made,
    progress: () => prog,
  };
}
