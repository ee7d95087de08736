/**
 * A local stand-in for Stable Diffusion WebUI Forge / AUTOMATIC1111 started with `--api`, built
 * from A1111's modules/api/api.py and models.py (the routes Forge keeps). What it reproduces:
 * - POST /sdapi/v1/txt2img blocks until the job is done; batch_size × n_iter images; every field
 *   the caller leaves out takes the API's own default (512×512, 50 steps, cfg 7, seed -1);
 *   `save_images: false` (the API default) writes nothing; `send_images` controls base64 images;
 *   `info` is a JSON string with all_seeds and infotexts.
 * - Files saved like modules/images.save_image: `outputs/txt2img-images/YYYY-MM-DD/NNNNN-SEED.png`,
 *   written to `NAME.tmp` then renamed, a PNG `parameters` tEXt chunk with the infotext.
 * - Unknown sampler: 404 {"detail": "Sampler not found"} (validate_sampler_name); a body that is not
 *   valid: 422 {"detail": [...]} (FastAPI); an exception: 500 {"error", "detail", "body", "errors"}
 *   (api_middleware's handle_exception) — provoked by a prompt containing `!oom`.
 * - GET /sdapi/v1/progress?skip_current_image=true: {progress, eta_relative, state: {…,
 *   sampling_step, sampling_steps, job_no, job_count, interrupted}, current_image: null}.
 * - POST /sdapi/v1/interrupt: the job stops after the current step and txt2img returns what was made.
 * - GET /sdapi/v1/options, /sdapi/v1/cmd-flags, /sdapi/v1/memory (torch.cuda.memory_stats shape).
 * One job at a time (A1111's queue lock). It also drives genwatt's simulated GPU when given the file.
 */
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pngFile } from '../../../fixtures/png-writer.mjs';
import { closeServer, listenLoopback, readBody, sendJson, simPhase, sleep } from './server-util.js';

export interface FakeForgeOptions {
  outDir: string;
  stepMs?: number;
  loadMs?: number;
  simActivityFile?: string;
  /** Pixels actually written (small, for speed); the settings still say the requested size. */
  pixels?: number;
}

const SAMPLERS = ['Euler a', 'Euler', 'DPM++ 2M', 'DPM++ 2M SDE', 'DPM++ SDE', 'UniPC', 'DDIM'];

export interface FakeForge {
  url: string;
  server: Server;
  requests: Record<string, unknown>[];
  interrupts: number;
  close(): Promise<void>;
}

export async function startFakeForge(o: FakeForgeOptions): Promise<FakeForge> {
  const stepMs = o.stepMs ?? 20;
  let loaded = false;
  let busy: Promise<void> = Promise.resolve();
  let counter = 0;
  const state = { skipped: false, interrupted: false, job: '', job_count: 0, job_timestamp: '0', job_no: 0, sampling_step: 0, sampling_steps: 0 };
  const fake: FakeForge = { url: '', server: undefined as unknown as Server, requests: [], interrupts: 0, close: async () => undefined };

  async function txt2img(body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const p = { prompt: '', negative_prompt: '', steps: 50, width: 512, height: 512, cfg_scale: 7, sampler_name: 'Euler a', scheduler: 'Automatic', seed: -1, batch_size: 1, n_iter: 1, save_images: false, send_images: true, ...body } as Record<string, unknown>;
    const bad = ['steps', 'width', 'height', 'batch_size', 'n_iter'].filter((k) => !Number.isInteger(p[k]));
    if (bad.length) return { status: 422, body: { detail: bad.map((k) => ({ loc: ['body', k], msg: 'value is not a valid integer', type: 'type_error.integer' })) } };
    if (!SAMPLERS.includes(String(p.sampler_name))) return { status: 404, body: { detail: 'Sampler not found' } };
    if (String(p.prompt).includes('!oom')) {
      await sleep(stepMs * 3);
      return { status: 500, body: { error: 'OutOfMemoryError', detail: '', body: '', errors: 'CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 11.76 GiB of which 1.02 GiB is free.' } };
    }
    const steps = p.steps as number;
    const n = p.batch_size as number;
    const iters = p.n_iter as number;
    const seed0 = (p.seed as number) < 0 ? 1000 + Math.floor(Math.random() * 1e6) : (p.seed as number);
    Object.assign(state, { interrupted: false, job: 'txt2img', job_count: iters, job_no: 0, sampling_step: 0, sampling_steps: steps, job_timestamp: String(Date.now()) });
    if (!loaded) {
      simPhase(o.simActivityFile, 'load', false);
      await sleep(o.loadMs ?? 100);
      loaded = true;
    }
    const seeds: number[] = [];
    const infotexts: string[] = [];
    const images: string[] = [];
    const day = new Date().toISOString().slice(0, 10);
    const dir = join(o.outDir, 'txt2img-images', day);
    mkdirSync(dir, { recursive: true });
    counter = Math.max(counter, readdirSync(dir).filter((f) => /^\d{5}-/.test(f)).length);
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
        seeds.push(seed);
        infotexts.push(info);
        const data = pngFile(o.pixels ?? 64, o.pixels ?? 64, [['parameters', info]], seed) as Buffer;
        if (p.save_images) {
          const file = join(dir, `${String(counter++).padStart(5, '0')}-${seed}.png`);
          writeFileSync(`${file}.tmp`, data);
          renameSync(`${file}.tmp`, file);
        }
        if (p.send_images) images.push(data.toString('base64'));
      }
    }
    simPhase(o.simActivityFile, 'idle', true);
    Object.assign(state, { job: '', job_count: 0, sampling_step: 0 });
    return { status: 200, body: { images, parameters: body, info: JSON.stringify({ prompt: p.prompt, all_prompts: seeds.map(() => p.prompt), all_seeds: seeds, seed: seeds[0] ?? seed0, infotexts, sd_model_name: 'sd_xl_base_1.0', job_timestamp: state.job_timestamp }) } };
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /sdapi/v1/options':
        return sendJson(res, 200, { sd_model_checkpoint: 'sd_xl_base_1.0.safetensors [31e35c80fc]', sd_vae: 'Automatic', samples_save: true, samples_format: 'png', outdir_txt2img_samples: join(o.outDir, 'txt2img-images') });
      case 'GET /sdapi/v1/cmd-flags':
        return sendJson(res, 200, { api: true, listen: false, port: 7860, xformers: false, opt_sdp_attention: true, ckpt_dir: '/models/Stable-diffusion', cuda_malloc: true, pin_shared_memory: false, api_auth: null });
      case 'GET /sdapi/v1/memory':
        return sendJson(res, 200, { ram: { free: 20e9, used: 12e9, total: 32e9 }, cuda: { system: { free: 2e9, used: 10e9, total: 12e9 }, active: { current: 7.1e9, peak: 9.4e9 }, allocated: { current: 7.1e9, peak: 9.4e9 }, reserved: { current: 9.8e9, peak: 10.2e9 }, inactive: { current: 0.2e9, peak: 1.1e9 }, events: { retries: 0, oom: 0 } } });
      case 'GET /sdapi/v1/samplers':
        return sendJson(res, 200, SAMPLERS.map((name) => ({ name, aliases: [], options: {} })));
      case 'GET /sdapi/v1/progress': {
        const pr = state.sampling_steps ? (state.job_no * state.sampling_steps + state.sampling_step) / Math.max(1, state.job_count * state.sampling_steps) : 0;
        return sendJson(res, 200, { progress: state.job ? pr : 0, eta_relative: 0, state, current_image: null, textinfo: null });
      }
      case 'POST /sdapi/v1/interrupt':
        fake.interrupts++;
        state.interrupted = true;
        await readBody(req);
        return sendJson(res, 200, {});
      case 'POST /sdapi/v1/txt2img': {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(await readBody(req)) as Record<string, unknown>;
        } catch {
          return sendJson(res, 422, { detail: [{ loc: ['body'], msg: 'Expecting value', type: 'value_error.jsondecode' }] });
        }
        fake.requests.push(body);
        const run = busy.then(() => txt2img(body));
        busy = run.then(() => undefined);
        const r = await run;
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
