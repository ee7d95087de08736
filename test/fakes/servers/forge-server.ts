/**
 * A local stand-in for Stable Diffusion WebUI Forge, Forge Neo and AUTOMATIC1111 started with
 * `--api`. Each behaviour names the real code it follows (AUTOMATIC1111/stable-diffusion-webui,
 * lllyasviel/stable-diffusion-webui-forge, Haoming02/sd-webui-forge-classic = Forge Neo).
 * One job at a time, as the real queue lock; it also drives genwatt's simulated GPU when given the file.
 */
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pngFile } from '../../../fixtures/png-writer.mjs';
import { closeServer, listenLoopback, readBody, sendJson, simPhase, sleep } from './server-util.js';

export type ForgeFlavour = 'a1111' | 'forge' | 'forge-neo';

export interface FakeForgeOptions {
  outDir: string;
  stepMs?: number;
  loadMs?: number;
  simActivityFile?: string;
  /** Pixels actually written (small, for speed); the settings still say the requested size. */
  pixels?: number;
  flavour?: ForgeFlavour;
  /** `--api-auth user:password` */
  apiAuth?: string;
  /** Settings (modules/shared_options.py names) over the defaults below. */
  options?: Record<string, unknown>;
  /** Extra command-line flags over the flavour's. */
  flags?: Record<string, unknown>;
}

const SAMPLERS = ['Euler a', 'Euler', 'DPM++ 2M', 'DPM++ 2M SDE', 'DPM++ SDE', 'UniPC', 'DDIM'];

// vars(shared.cmd_opts) as /sdapi/v1/cmd-flags returns it (a few of each flavour's real flags).
const FLAGS: Record<ForgeFlavour, Record<string, unknown>> = {
  // modules/cmd_args.py (A1111)
  a1111: {
    api: true,
    listen: false,
    port: null,
    xformers: false,
    force_enable_xformers: false,
    opt_sdp_attention: true,
    opt_sdp_no_mem_attention: false,
    opt_split_attention: false,
    opt_sub_quad_attention: false,
    ckpt_dir: '/models/Stable-diffusion',
    api_auth: null,
    ngrok: null,
    medvram: false,
  },
  // backend/args.py (lllyasviel Forge) on top of A1111's cmd_args
  forge: {
    api: true,
    listen: false,
    port: null,
    xformers: false,
    opt_sdp_attention: false,
    attention_pytorch: false,
    attention_split: false,
    attention_quad: false,
    disable_xformers: false,
    always_gpu: false,
    unet_in_bf16: false,
    cuda_malloc: true,
    pin_shared_memory: false,
    ckpt_dir: '/models/Stable-diffusion',
    api_auth: null,
    ngrok: null,
  },
  // backend/args.py (Forge Neo)
  'forge-neo': {
    api: true,
    listen: false,
    port: null,
    use_pytorch_cross_attention: false,
    sage: false,
    flash: false,
    xformers: false,
    disable_sage: false,
    disable_flash: false,
    disable_xformers: false,
    cuda_malloc: true,
    ckpt_dir: '/models/Stable-diffusion',
    api_auth: null,
    ngrok: null,
  },
};

// modules/shared_options.py defaults for the settings genwatt reads
const DEFAULT_OPTIONS: Record<string, unknown> = {
  samples_save: true,
  samples_format: 'png',
  grid_save: true,
  return_grid: true,
  grid_only_if_multiple: true,
  export_for_4chan: true,
  save_incomplete_images: false,
  cross_attention_optimization: 'Automatic',
  sd_model_checkpoint: 'sd_xl_base_1.0.safetensors [31e35c80fc]',
  sd_vae: 'Automatic',
};

export interface FakeForge {
  url: string;
  server: Server;
  requests: Record<string, unknown>[];
  interrupts: number;
  /** Paths requested, in order. */
  paths: string[];
  close(): Promise<void>;
}

/** modules/images.py FilenameGenerator [date]: datetime.datetime.now().strftime('%Y-%m-%d') — local time. */
function localDate(d = new Date()): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** modules/images.py get_next_sequence_number: the highest leading number in the folder, plus one. */
function nextNumber(dir: string): number {
  let max = -1;
  for (const f of readdirSync(dir)) {
    const n = Number.parseInt(f.split('-')[0], 10);
    if (Number.isInteger(n)) max = Math.max(max, n);
  }
  return max + 1;
}

/** modules/images.py save_image → _atomically_save_image: written to `NAME.tmp`, then os.replace. */
function saveAtomically(file: string, data: Buffer): void {
  const tmp = `${file.replace(/\.[^.]+$/, '')}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export async function startFakeForge(o: FakeForgeOptions): Promise<FakeForge> {
  const stepMs = o.stepMs ?? 20;
  const flavour = o.flavour ?? 'forge';
  const options: Record<string, unknown> = {
    ...DEFAULT_OPTIONS,
    outdir_txt2img_samples: join(o.outDir, 'txt2img-images'),
    outdir_txt2img_grids: join(o.outDir, 'txt2img-grids'),
    ...o.options,
  };
  const flags = { ...FLAGS[flavour], ...(o.apiAuth ? { api_auth: o.apiAuth } : {}), ...o.flags };
  let loaded = false;
  let busy: Promise<void> = Promise.resolve();
  // modules/shared_state.py State.dict()
  const state = {
    skipped: false,
    interrupted: false,
    stopping_generation: false,
    job: '',
    job_count: 0,
    job_timestamp: '0',
    job_no: 0,
    sampling_step: 0,
    sampling_steps: 0,
  };
  const fake: FakeForge = { url: '', server: undefined as unknown as Server, requests: [], interrupts: 0, paths: [], close: async () => undefined };

  /** A1111/Forge api_middleware handle_exception: {error, detail, body, errors}; Forge Neo has it commented out (plain FastAPI {detail}). */
  function httpError(res: ServerResponse, status: number, detail: string, headers: Record<string, string> = {}): void {
    const body = flavour === 'forge-neo' ? { detail } : { error: 'HTTPException', detail, body: '', errors: `${status}: ${detail}` };
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  /** modules/api/api.py Api.auth with fastapi.security.HTTPBasic: no header → "Not authenticated", wrong → "Incorrect username or password". */
  function authorized(req: IncomingMessage, res: ServerResponse): boolean {
    if (!o.apiAuth) return true;
    const h = req.headers.authorization;
    if (!h?.startsWith('Basic ')) {
      httpError(res, 401, 'Not authenticated', { 'www-authenticate': 'Basic' });
      return false;
    }
    if (Buffer.from(h.slice(6), 'base64').toString('utf8') !== o.apiAuth) {
      httpError(res, 401, 'Incorrect username or password', { 'www-authenticate': 'Basic' });
      return false;
    }
    return true;
  }

  async function txt2img(body: Record<string, unknown>): Promise<{ status: number; body: unknown; neoPlain500?: boolean }> {
    // modules/api/models.py StableDiffusionTxt2ImgProcessingAPI defaults (512², 50 steps, save_images false)
    const p = {
      prompt: '',
      negative_prompt: '',
      steps: 50,
      width: 512,
      height: 512,
      cfg_scale: 7,
      sampler_name: 'Euler a',
      scheduler: 'Automatic',
      seed: -1,
      batch_size: 1,
      n_iter: 1,
      save_images: false,
      send_images: true,
      ...body,
    } as Record<string, unknown>;
    const steps = p.steps as number;
    const n = p.batch_size as number;
    const iters = p.n_iter as number;
    const seed0 = (p.seed as number) < 0 ? 1000 + Math.floor(Math.random() * 1e6) : (p.seed as number);
    // processing.py: all_seeds is planned for every image before sampling starts
    const allSeeds = Array.from({ length: n * iters }, (_, i) => seed0 + i);
    // shared_state.State.begin: a new job_timestamp, interrupted reset
    Object.assign(state, {
      interrupted: false,
      skipped: false,
      job: 'scripts_txt2img',
      job_count: iters,
      job_no: 0,
      sampling_step: 0,
      sampling_steps: steps,
      job_timestamp: new Date().toISOString().replace(/\D/g, '').slice(0, 14) + String(Math.random()).slice(2, 6),
    });
    if (!loaded) {
      simPhase(o.simActivityFile, 'load', false);
      await sleep(o.loadMs ?? 100);
      loaded = true;
    }
    const infotexts: string[] = [];
    const images: string[] = [];
    const dir = join(o.outDir, 'txt2img-images', localDate());
    const saved: Buffer[] = [];
    for (let it = 0; it < iters && !state.interrupted; it++) {
      state.job_no = it;
      simPhase(o.simActivityFile, 'compute', true);
      for (let s = 1; s <= steps && !state.interrupted; s++) {
        await sleep(stepMs);
        state.sampling_step = s;
      }
      simPhase(o.simActivityFile, 'save', true);
      for (let k = 0; k < n; k++) {
        const seed = seed0 + it * n + k;
        const info = `${p.prompt}${p.negative_prompt ? `\nNegative prompt: ${p.negative_prompt}` : ''}\nSteps: ${steps}, Sampler: ${p.sampler_name}, Schedule type: ${p.scheduler}, CFG scale: ${p.cfg_scale}, Seed: ${seed}, Size: ${p.width}x${p.height}, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: f2.0.1v1.10.1`;
        infotexts.push(info);
        const data = pngFile(o.pixels ?? 64, o.pixels ?? 64, [['parameters', info]], seed) as Buffer;
        // StableDiffusionProcessing.save_samples: samples_save and (save_incomplete_images or not interrupted)
        const save = p.save_images && options.samples_save !== false && (options.save_incomplete_images === true || !state.interrupted);
        if (save) {
          mkdirSync(dir, { recursive: true });
          saveAtomically(join(dir, `${String(nextNumber(dir)).padStart(5, '0')}-${seed}.png`), data);
          saved.push(data);
        }
        if (p.send_images) images.push(data.toString('base64'));
      }
    }
    // process_images_inner: a grid when more than one image (grid_only_if_multiple), saved when grid_save
    if (p.save_images && options.grid_save !== false && saved.length > 1) {
      const gdir = join(o.outDir, 'txt2img-grids', localDate());
      mkdirSync(gdir, { recursive: true });
      saveAtomically(
        join(gdir, `grid-${String(nextNumber(gdir)).padStart(4, '0')}.png`),
        pngFile(o.pixels ?? 64, o.pixels ?? 64, [['parameters', infotexts[0] ?? '']], 1) as Buffer,
      );
    }
    simPhase(o.simActivityFile, 'idle', true);
    // State.end: job cleared; interrupted stays set until the next begin()
    Object.assign(state, { job: '', job_count: 0, sampling_step: 0 });
    return {
      status: 200,
      body: {
        images,
        parameters: body,
        info: JSON.stringify({
          prompt: p.prompt,
          all_prompts: allSeeds.map(() => p.prompt),
          all_seeds: allSeeds,
          seed: seed0,
          infotexts,
          sd_model_name: 'sd_xl_base_1.0',
          job_timestamp: state.job_timestamp,
        }),
      },
    };
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = `${req.method} ${url.pathname}`;
    fake.paths.push(url.pathname);
    if (url.pathname.startsWith('/sdapi/') && !authorized(req, res)) return;
    switch (route) {
      case 'GET /sdapi/v1/options':
        return sendJson(res, 200, options);
      case 'GET /sdapi/v1/cmd-flags':
        return sendJson(res, 200, flags);
      case 'GET /sdapi/v1/memory':
        // api.py get_memory: torch.cuda.memory_stats() peaks, never reset by the API
        return sendJson(res, 200, {
          ram: { free: 20e9, used: 12e9, total: 32e9 },
          cuda: {
            system: { free: 2e9, used: 10e9, total: 12e9 },
            active: { current: 7.1e9, peak: 9.4e9 },
            allocated: { current: 7.1e9, peak: 9.4e9 },
            reserved: { current: 9.8e9, peak: 10.2e9 },
            inactive: { current: 0.2e9, peak: 1.1e9 },
            events: { retries: 0, oom: 0 },
          },
        });
      case 'GET /sdapi/v1/samplers':
        return sendJson(
          res,
          200,
          SAMPLERS.map((name) => ({ name, aliases: [], options: {} })),
        );
      case 'GET /sdapi/v1/progress': {
        // api.py progressapi (progress is 0 with no job; set_current_image is skipped for us only in the answer)
        const pr = state.job_count
          ? Math.min(1, 0.01 + state.job_no / state.job_count + state.sampling_step / Math.max(1, state.sampling_steps) / state.job_count)
          : 0;
        return sendJson(res, 200, {
          progress: pr,
          eta_relative: 0,
          state,
          current_image: url.searchParams.get('skip_current_image') === 'true' ? null : 'iVBORw0KGgo=',
          textinfo: null,
        });
      }
      case 'POST /sdapi/v1/interrupt':
        // api.py interruptapi → shared.state.interrupt(): whatever job runs, whoever started it
        fake.interrupts++;
        if (state.job) state.interrupted = true;
        await readBody(req);
        return sendJson(res, 200, {});
      case 'POST /sdapi/v1/txt2img': {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(await readBody(req)) as Record<string, unknown>;
        } catch {
          return sendJson(res, 422, { detail: [{ loc: ['body', 0], msg: 'Expecting value', type: 'value_error.jsondecode' }] });
        }
        const bad = ['steps', 'width', 'height', 'batch_size', 'n_iter'].filter((k) => k in body && !Number.isInteger(body[k]));
        if (bad.length)
          return sendJson(res, 422, { detail: bad.map((k) => ({ loc: ['body', k], msg: 'value is not a valid integer', type: 'type_error.integer' })) });
        // api.py validate_sampler_name: 404 (A1111, Forge) or 400 (Forge Neo)
        if (!SAMPLERS.includes(String(body.sampler_name ?? 'Euler a'))) return httpError(res, flavour === 'forge-neo' ? 400 : 404, 'Sampler not found');
        fake.requests.push(body);
        // text2imgapi: `with self.queue_lock` — requests wait their turn
        const run = busy.then(async () => {
          if (String(body.prompt).includes('!oom')) {
            await sleep(stepMs * 3);
            return {
              status: 500,
              body: {
                error: 'OutOfMemoryError',
                detail: '',
                body: '',
                errors:
                  'CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 11.76 GiB of which 1.02 GiB is free.\nOf the allocated memory 9.1 GiB is allocated by PyTorch',
              },
              neoPlain500: flavour === 'forge-neo',
            };
          }
          return txt2img(body);
        });
        busy = run.then(() => undefined);
        const r = await run;
        if (r.neoPlain500) {
          // Neo without api_middleware: Starlette's plain 500
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          return res.end('Internal Server Error');
        }
        return sendJson(res, r.status, r.body);
      }
      default:
        return sendJson(res, 404, { detail: 'Not Found' });
    }
  });
  fake.server = server;
  fake.url = await listenLoopback(server);
  fake.close = () => closeServer(server);
  return fake;
}
