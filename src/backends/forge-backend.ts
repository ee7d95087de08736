/**
 * Stable Diffusion WebUI Forge, Forge Neo and AUTOMATIC1111 (started with `--api`): one
 * `POST /sdapi/v1/txt2img` per request with every setting sent explicitly and `save_images: true`
 * (without it nothing reaches the disk, and the watcher counts the files); progress polled from
 * `/sdapi/v1/progress`; Stop = `POST /sdapi/v1/interrupt`. The model, the server's flags and its
 * own peak memory are recorded as run tags.
 */
import type { ChildExit } from '../session/types.js';
import type { BackendConfig, BackendHooks, BackendProgress, RunningBackend } from './backend-types.js';
import { doneExit, failedExit, plural, stoppedExit } from './backend-exit.js';
import { requestJson } from './http.js';

const WHAT = 'Forge/A1111 (--api)';

interface Txt2ImgResponse {
  images?: unknown[];
  info?: string;
}

interface ProgressResponse {
  progress?: number;
  state?: { sampling_step?: number; sampling_steps?: number; job_no?: number; job_count?: number; interrupted?: boolean };
}

/** Truthy server flags as one tag value, e.g. `xformers opt-sdp-attention cuda-malloc`. */
export function flagsTag(flags: Record<string, unknown>): string {
  return Object.entries(flags)
    .filter(([k, v]) => v === true || (typeof v === 'string' && v !== '' && !/dir|path|file|url|port|listen|host|auth|key|token|secret|ckpt|model|vae|lora|embeddings|data/i.test(k)))
    .map(([k, v]) => (v === true ? k : `${k}=${v}`))
    .sort()
    .join(' ');
}

/** The attention backend the flags select (A1111/Forge command-line names). */
export function attentionFromFlags(flags: Record<string, unknown>): string | undefined {
  const on = (k: string) => flags[k] === true;
  if (on('attention_sage') || on('use_sage_attention')) return 'sage';
  if (on('attention_flash') || on('use_flash_attention')) return 'flash';
  if (on('xformers') || on('force_enable_xformers') || on('attention_xformers')) return 'xformers';
  if (on('opt_sdp_attention') || on('opt_sdp_no_mem_attention') || on('attention_pytorch')) return 'sdpa';
  if (on('attention_split') || on('opt_split_attention')) return 'split';
  if (on('attention_quad') || on('opt_sub_quad_attention')) return 'sub-quadratic';
  return undefined;
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

export function startForge(c: BackendConfig, hooks: BackendHooks): RunningBackend {
  const base = c.url.replace(/\/+$/, '');
  const stopCtl = new AbortController();
  let made = 0;
  let prog: BackendProgress | null = null;
  let stopped = false;
  let poll: NodeJS.Timeout | undefined;

  const run = async (): Promise<ChildExit> => {
    try {
      const opts = (await requestJson<Record<string, unknown>>(WHAT, `${base}/sdapi/v1/options`, { timeoutMs: 15000 })).body;
      const flags = (await requestJson<Record<string, unknown>>(WHAT, `${base}/sdapi/v1/cmd-flags`, { timeoutMs: 15000 })).body ?? {};
      const tags: Record<string, string> = { backend: 'forge' };
      if (typeof opts?.sd_model_checkpoint === 'string') tags.model = opts.sd_model_checkpoint.replace(/\s*\[[0-9a-f]+\]$/, '').replace(/\.(safetensors|ckpt)$/, '');
      const attn = attentionFromFlags(flags);
      if (attn) tags.attention = attn;
      const ft = flagsTag(flags);
      if (ft) tags['cmd-flags'] = ft;
      const f = c.forge!;
      Object.assign(tags, { steps: String(f.steps), size: `${f.width}x${f.height}`, sampler: f.sampler, 'cfg-scale': String(f.cfgScale), 'batch-size': String(f.batchSize), 'batch-count': String(f.batchCount) });
      if (f.scheduler) tags.scheduler = f.scheduler;
      hooks.tags(tags);
      poll = setInterval(() => {
        requestJson<ProgressResponse>(WHAT, `${base}/sdapi/v1/progress?skip_current_image=true`, { timeoutMs: 2000 })
          .then(({ body }) => {
            if (!prog) return;
            const st = body?.state;
            const steps = st?.sampling_steps ?? null;
            prog = { ...prog, step: st?.sampling_step ?? null, steps: steps && steps > 0 ? steps : prog.steps };
            hooks.progress(prog);
          })
          .catch(() => undefined); // progress is a nicety; the request itself reports failures
      }, 500);
      for (let r = 0; r < c.requests && !stopped; r++) {
        prog = { request: r + 1, requests: c.requests, step: 0, steps: f.steps };
        hooks.progress(prog);
        const res = await requestJson<Txt2ImgResponse>(WHAT, `${base}/sdapi/v1/txt2img`, { body: txt2imgBody(c, r), timeoutMs: c.timeoutMs, signal: stopCtl.signal });
        let n: number | undefined;
        try {
          const info = JSON.parse(res.body?.info ?? '{}') as { all_seeds?: unknown[] };
          if (Array.isArray(info.all_seeds)) n = info.all_seeds.length;
        } catch {
          // info is optional: fall back to the images in the answer
        }
        made += n ?? (Array.isArray(res.body?.images) ? res.body.images.length : 0);
      }
      const mem = await requestJson<{ cuda?: { allocated?: { peak?: number }; reserved?: { peak?: number } } }>(WHAT, `${base}/sdapi/v1/memory`, { timeoutMs: 15000 }).catch(() => undefined);
      const peak = mem?.body?.cuda;
      const memTags: Record<string, string> = {};
      if (typeof peak?.allocated?.peak === 'number') memTags['server-cuda-peak-allocated-bytes'] = String(peak.allocated.peak);
      if (typeof peak?.reserved?.peak === 'number') memTags['server-cuda-peak-reserved-bytes'] = String(peak.reserved.peak);
      if (Object.keys(memTags).length) hooks.tags(memTags);
      return stopped ? stoppedExit('/sdapi/v1/interrupt') : doneExit(`${WHAT}: ${plural(made, 'image')} made in ${plural(c.requests, 'request')}`);
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
      // Interrupt the current job; the blocked txt2img call then returns what was made.
      void requestJson(WHAT, `${base}/sdapi/v1/interrupt`, { body: {}, timeoutMs: 5000 }).catch(() => stopCtl.abort());
      setTimeout(() => stopCtl.abort(), 15000).unref();
    },
    serverImages: () => made,
    progress: () => prog,
  };
}
