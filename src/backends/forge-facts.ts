/**
 * What a Forge / Forge Neo / A1111 server's flags and options establish, read from
 * `/sdapi/v1/cmd-flags` (vars(shared.cmd_opts): every command-line flag, the backend's included) and
 * `/sdapi/v1/options`: which of the three it is, its attention backend when the flags settle it
 * (never a guess), the flags worth recording (secrets redacted), and the save settings that would
 * make a measured run count the wrong files.
 */
import { makeRedactor, REDACTED } from '../session/redact.js';

export type ForgeFlavour = 'forge-neo' | 'forge' | 'a1111';

/** Flags only one of the three has (their backend/args.py or modules/cmd_args.py). */
export function forgeFlavour(flags: Record<string, unknown>): ForgeFlavour {
  // Haoming02/sd-webui-forge-classic backend/args.py: --use-pytorch-cross-attention, --sage, --disable-sage …
  if ('use_pytorch_cross_attention' in flags || 'disable_sage' in flags || 'sage' in flags) return 'forge-neo';
  // lllyasviel/stable-diffusion-webui-forge backend/args.py: --attention-pytorch, --always-gpu, --unet-in-bf16 …
  if ('attention_pytorch' in flags || 'always_gpu' in flags || 'unet_in_bf16' in flags) return 'forge';
  return 'a1111';
}

export interface AttentionFact {
  /** The backend the flags settle, or 'unknown'. */
  attention: string;
  /** Why, in words (recorded as a note when unknown). */
  why: string;
}

/** A1111's optimizer names (modules/sd_hijack_optimizations.py; the option holds `name - label`) as tags. */
const A1111_OPTIMIZATION: Record<string, string> = {
  xformers: 'xformers',
  sdp: 'sdpa',
  'sdp-no-mem': 'sdpa-no-mem',
  Doggettx: 'split',
  V1: 'v1',
  InvokeAI: 'invokeai',
  'sub-quadratic': 'sub-quadratic',
};

/**
 * The attention backend, only where the server's own selection rule and its flags settle it:
 * - Forge Neo (backend/attention.py): sage > flash > xformers > PyTorch by what is installed, unless
 *   --use-pytorch-cross-attention; --sage/--flash/--xformers only install packages.
 * - Forge (backend/memory_management.py): xformers whenever it imports, unless --disable-xformers or
 *   --attention-pytorch; A1111's --xformers/--opt-sdp-attention flags are not what selects it.
 * - A1111 (modules/sd_hijack.py apply_optimizations): the cross_attention_optimization option, or
 *   with "Automatic" the command-line flags.
 */
export function attentionFact(flavour: ForgeFlavour, flags: Record<string, unknown>, options: Record<string, unknown> | null): AttentionFact {
  const on = (k: string) => flags[k] === true;
  if (flavour === 'forge-neo') {
    if (on('use_pytorch_cross_attention')) return { attention: 'sdpa', why: '--use-pytorch-cross-attention' };
    return {
      attention: 'unknown',
      why: 'Forge Neo picks SageAttention > FlashAttention > xformers > PyTorch from what is installed; its flags do not say which loaded (its console log does)',
    };
  }
  if (flavour === 'forge') {
    if (on('attention_pytorch')) return { attention: 'sdpa', why: '--attention-pytorch' };
    if (on('disable_xformers') && on('attention_split')) return { attention: 'split', why: '--disable-xformers --attention-split' };
    if (on('disable_xformers') && on('attention_quad')) return { attention: 'sub-quadratic', why: '--disable-xformers --attention-quad' };
    return {
      attention: 'unknown',
      why: 'Forge uses xformers whenever it is installed (A1111 attention flags do not select it); nothing in its flags says whether it is',
    };
  }
  const opt = typeof options?.cross_attention_optimization === 'string' ? options.cross_attention_optimization : 'Automatic';
  if (opt !== 'Automatic' && opt !== 'None') return { attention: A1111_OPTIMIZATION[opt.split(' - ')[0]] ?? opt, why: `cross_attention_optimization = ${opt}` };
  if (opt === 'None') return { attention: 'none', why: 'cross_attention_optimization = None' };
  if (on('xformers') || on('force_enable_xformers')) return { attention: 'xformers', why: '--xformers' };
  if (on('opt_sdp_no_mem_attention')) return { attention: 'sdpa-no-mem', why: '--opt-sdp-no-mem-attention' };
  if (on('opt_sdp_attention')) return { attention: 'sdpa', why: '--opt-sdp-attention' };
  if (on('opt_sub_quad_attention')) return { attention: 'sub-quadratic', why: '--opt-sub-quad-attention' };
  if (on('opt_split_attention')) return { attention: 'split', why: '--opt-split-attention' };
  return { attention: 'unknown', why: 'A1111 with "Automatic" attention and no attention flag picks by what is installed' };
}

/** Flag names whose values are paths, addresses or secrets: never recorded. */
const PRIVATE_FLAG = /dir|path|file|url|port|listen|host|auth|key|token|secret|ngrok|ckpt|model|vae|lora|embeddings|data|cors|tls|ssl|cert|subpath|root/i;
/** A value shaped like a token: long, no spaces, letters and digits mixed. */
const TOKEN_LIKE = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-.=+/]{20,}$/;

/** Truthy server flags as one tag value, e.g. `cuda_malloc opt_sdp_attention`; secrets and paths left out or redacted. */
export function flagsTag(flags: Record<string, unknown>): string {
  const redact = makeRedactor();
  return Object.entries(flags)
    .filter(([k, v]) => v === true || ((typeof v === 'string' || typeof v === 'number') && v !== '' && !PRIVATE_FLAG.test(k)))
    .map(([k, v]) => {
      if (v === true) return k;
      const s = String(v);
      return `${k}=${TOKEN_LIKE.test(s) ? REDACTED : redact.text(s)}`;
    })
    .sort()
    .join(' ');
}

/**
 * Save settings that change what a measured run writes (modules/shared_options.py names): said
 * before the run. `perRequest` is batch_size × n_iter.
 */
export function saveWarnings(options: Record<string, unknown> | null, perRequest: number): string[] {
  if (!options) return ['could not read /sdapi/v1/options: the save settings are unknown'];
  const out: string[] = [];
  if (options.samples_save === false)
    out.push(
      '"Always save all generated images" (samples_save) is off: the server writes no image files, so genwatt can count none. Turn it on in Settings → Saving images',
    );
  // processing.py process_images_inner: a grid is made when return_grid or grid_save, saved when grid_save.
  const gridOnlyIfMultiple = options.grid_only_if_multiple !== false;
  if (perRequest > 1 || !gridOnlyIfMultiple) {
    if (options.grid_save !== false)
      out.push(
        `grids are saved (grid_save) for ${perRequest} images per request: their encoding time is inside the measured run; grid files (*-grids folders) are not counted`,
      );
    else if (options.return_grid !== false) out.push('a grid is made for each request (return_grid): its encoding time is inside the measured run');
  }
  if (options.export_for_4chan !== false)
    out.push('"Save copy of large images as JPG" (export_for_4chan) is on: a large image gets a JPEG copy next to it, which would be counted as another image');
  if (options.save_incomplete_images === true) out.push('save_incomplete_images is on: a stopped run also saves its unfinished images');
  return out;
}
