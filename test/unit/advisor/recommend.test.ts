import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {
  computeBytes,
  kvCacheBytes,
  ramPaddingBytes,
  recommend,
  summarizeRecommendation,
  vramPaddingBytes,
  type Reason,
  type ReasonCode,
  type Recommendation,
} from '../../../src/lib/advisor/index.js'
import {findModel, type CatalogModel} from '../../../src/lib/catalog/index.js'
import {renderHwReport} from '../../../src/lib/cli/index.js'
import {adviseMachine, quantTierOf} from '../../../src/lib/use-cases/index.js'
import type {BackendReasonCode, HardwareProfile} from '../../../src/lib/hardware/index.js'
import {root} from '../../helpers/spawn-cli.js'
import {loadSchema, validate} from './json-schema.js'

const FIXTURES = ['laptop-8gb-cpu', 'desktop-16gb-nvidia-8gb', 'workstation-24gb-vram', 'apple-m2-max-64gb', 'sbc-4gb', 'nvidia-driver-no-runtime'] as const
type Fixture = (typeof FIXTURES)[number]

function profile(name: Fixture): HardwareProfile {
  return JSON.parse(readFileSync(join(root, 'test/fixtures/hw', `${name}.json`), 'utf8')) as HardwareProfile
}

function model(id: string): CatalogModel {
  const found = findModel(id)
  if (!found) throw new Error(`no catalog model ${id}`)
  return found
}

const DECISION_CODES = new Set(['FITS_GPU', 'PARTIAL_OFFLOAD', 'FITS_RAM', 'DOES_NOT_FIT', 'WOULD_SPILL', 'SLOWER_QUANT', 'TOO_BIG', 'CONTEXT_REDUCED', 'UNIFIED_MEMORY'])

function detail(reason: Reason): string {
  if (reason.code === 'WOULD_SPILL') return `(${reason.quant} spills ${reason.spillLayers})`
  if (reason.code === 'SLOWER_QUANT' || reason.code === 'TOO_BIG') return `(${reason.quant})`
  if (reason.code === 'CONTEXT_REDUCED') return `(${reason.from}->${reason.to})`
  if (reason.code === 'PARTIAL_OFFLOAD') return `(${reason.gpuLayers}/${reason.totalLayers})`
  return ''
}

/** A recommendation in one line: the decision and the reasons that explain it. */
function pin(recommendation: Recommendation): string {
  const {quant, gpuLayers, totalLayers, contextSize, threads, fits, reasons} = recommendation
  const why = reasons.filter((reason) => DECISION_CODES.has(reason.code)).map((reason) => reason.code + detail(reason))
  return `${quant} gpu=${gpuLayers}/${totalLayers} ctx=${contextSize} threads=${threads} ${fits ? 'fits' : 'DOES-NOT-FIT'}: ${why.join(' ')}`
}

// The recommendations for five models of different sizes on the six reference machines of issue 3.
const EXPECTED: Record<Fixture, Record<string, string>> = {
  'laptop-8gb-cpu': {
    'medgemma-4b': 'q4 gpu=0/35 ctx=8192 threads=4 fits: FITS_RAM TOO_BIG(q8)',
    'qwen3-4b': 'q4 gpu=0/37 ctx=4096 threads=4 fits: FITS_RAM TOO_BIG(q8) CONTEXT_REDUCED(8192->4096)',
    'med42-8b': 'q4 gpu=0/33 ctx=2048 threads=4 DOES-NOT-FIT: DOES_NOT_FIT',
    'qwen2.5-0.5b': 'q16 gpu=0/25 ctx=8192 threads=4 fits: FITS_RAM',
    'jsl-medm': 'q4 gpu=0/49 ctx=2048 threads=4 DOES-NOT-FIT: DOES_NOT_FIT',
  },
  'desktop-16gb-nvidia-8gb': {
    'medgemma-4b': 'q8 gpu=35/35 ctx=8192 threads=6 fits: FITS_GPU WOULD_SPILL(q16 spills 7)',
    'qwen3-4b': 'q8 gpu=37/37 ctx=8192 threads=6 fits: FITS_GPU WOULD_SPILL(q16 spills 10)',
    'med42-8b': 'q4 gpu=33/33 ctx=8192 threads=6 fits: FITS_GPU WOULD_SPILL(q8 spills 10)',
    'qwen2.5-0.5b': 'q16 gpu=25/25 ctx=8192 threads=6 fits: FITS_GPU',
    'jsl-medm': 'q4 gpu=33/49 ctx=8192 threads=6 fits: PARTIAL_OFFLOAD(33/49) WOULD_SPILL(q8 spills 29)',
  },
  'workstation-24gb-vram': {
    'medgemma-4b': 'q16 gpu=35/35 ctx=8192 threads=16 fits: FITS_GPU',
    'qwen3-4b': 'q16 gpu=37/37 ctx=8192 threads=16 fits: FITS_GPU',
    'med42-8b': 'q16 gpu=33/33 ctx=8192 threads=16 fits: FITS_GPU',
    'qwen2.5-0.5b': 'q16 gpu=25/25 ctx=8192 threads=16 fits: FITS_GPU',
    'jsl-medm': 'q8 gpu=49/49 ctx=8192 threads=16 fits: FITS_GPU WOULD_SPILL(q16 spills 11)',
  },
  'apple-m2-max-64gb': {
    'medgemma-4b': 'q16 gpu=35/35 ctx=8192 threads=12 fits: FITS_GPU UNIFIED_MEMORY',
    'qwen3-4b': 'q16 gpu=37/37 ctx=8192 threads=12 fits: FITS_GPU UNIFIED_MEMORY',
    'med42-8b': 'q16 gpu=33/33 ctx=8192 threads=12 fits: FITS_GPU UNIFIED_MEMORY',
    'qwen2.5-0.5b': 'q16 gpu=25/25 ctx=8192 threads=12 fits: FITS_GPU UNIFIED_MEMORY',
    'jsl-medm': 'q16 gpu=49/49 ctx=8192 threads=12 fits: FITS_GPU UNIFIED_MEMORY',
  },
  'sbc-4gb': {
    'medgemma-4b': 'q4 gpu=0/35 ctx=2048 threads=4 DOES-NOT-FIT: DOES_NOT_FIT',
    'qwen3-4b': 'q4 gpu=0/37 ctx=2048 threads=4 DOES-NOT-FIT: DOES_NOT_FIT',
    'med42-8b': 'q4 gpu=0/33 ctx=2048 threads=4 DOES-NOT-FIT: DOES_NOT_FIT',
    'qwen2.5-0.5b': 'q8 gpu=0/25 ctx=8192 threads=4 fits: FITS_RAM SLOWER_QUANT(q16)',
    'jsl-medm': 'q4 gpu=0/49 ctx=2048 threads=4 DOES-NOT-FIT: DOES_NOT_FIT',
  },
  'nvidia-driver-no-runtime': {
    'medgemma-4b': 'q8 gpu=0/35 ctx=8192 threads=12 fits: FITS_RAM SLOWER_QUANT(q16)',
    'qwen3-4b': 'q8 gpu=0/37 ctx=8192 threads=12 fits: FITS_RAM SLOWER_QUANT(q16)',
    'med42-8b': 'q4 gpu=0/33 ctx=8192 threads=12 fits: FITS_RAM SLOWER_QUANT(q8)',
    'qwen2.5-0.5b': 'q16 gpu=0/25 ctx=8192 threads=12 fits: FITS_RAM',
    'jsl-medm': 'q4 gpu=0/49 ctx=8192 threads=12 fits: FITS_RAM SLOWER_QUANT(q8)',
  },
}

describe('recommend on the reference machines', () => {
  for (const fixture of FIXTURES) {
    it(`pins the recommendations for ${fixture}`, () => {
      const machine = profile(fixture)
      const actual = Object.fromEntries(Object.keys(EXPECTED[fixture]).map((id) => [id, pin(recommend(machine, model(id)))]))
      expect(actual).toEqual(EXPECTED[fixture])
    })
  }

  it('phrases the GPU choice as the one-line reason of the issue', () => {
    const recommendation = recommend(profile('desktop-16gb-nvidia-8gb'), model('medgemma-4b'))
    expect(summarizeRecommendation(recommendation)).toBe(
      'q8 fits fully in 6.7 GiB of usable VRAM (CUDA) at 8k context: est. 4.7 GiB; q16 would spill 7 layers to the CPU (est. 8.1 GiB)',
    )
  })

  it('weighs CPU speed (bandwidth / bytes per token) and says so', () => {
    const recommendation = recommend(profile('nvidia-driver-no-runtime'), model('medgemma-4b'))
    const speed = recommendation.reasons.find((reason) => reason.code === 'CPU_SPEED')
    // 25 GB/s over the 4.13 GB Q8_0 file; q16 (7.77 GB) would reach only ~3.2 tok/s, under the 5 tok/s target.
    expect(speed).toEqual({code: 'CPU_SPEED', quant: 'q8', tokensPerSecond: 6.1, bandwidthBytesPerSecond: 25e9, targetTokensPerSecond: 5})
    expect(recommendation.tokensPerSecond).toBe(6.1) // 25e9 / 4.13e9, rounded
    expect(summarizeRecommendation(recommendation)).toBe(
      'CPU only (the GPU needs the CUDA runtime): q8 est. 4.7 GiB fits in 25.1 GiB of usable RAM at 8k context, ~6.1 tok/s (every token reads the weights at 25 GB/s); q16 would run at ~3.2 tok/s',
    )
  })

  it('recommends the physical cores as threads, and says why', () => {
    for (const fixture of FIXTURES) {
      const machine = profile(fixture)
      const recommendation = recommend(machine, model('qwen2.5-0.5b'))
      expect(recommendation.threads).toBe(machine.cpu.physicalCores)
      expect(recommendation.reasons).toContainEqual({
        code: 'THREADS_PHYSICAL',
        threads: machine.cpu.physicalCores,
        physicalCores: machine.cpu.physicalCores,
        logicalCores: machine.cpu.logicalCores,
      })
    }
  })

  it('splits partial offloads so that both sides fit', () => {
    const machine = profile('desktop-16gb-nvidia-8gb')
    const recommendation = recommend(machine, model('jsl-medm'))
    const vramBudget = machine.backend.vramFreeBytes! - vramPaddingBytes(machine.backend.vramTotalBytes!)
    expect(recommendation.estimate.gpuBytes).toBeLessThanOrEqual(vramBudget)
    expect(recommendation.estimate.cpuBytes).toBeLessThanOrEqual(machine.memory.availableBytes - ramPaddingBytes(machine.memory.totalBytes, 'linux'))
    expect(recommendation.tokensPerSecond).toBeNull()
  })

  it('keeps an explicit context size even when the model then does not fit', () => {
    const recommendation = recommend(profile('laptop-8gb-cpu'), model('qwen3-4b'), {contextSize: 32_768})
    expect(recommendation.contextSize).toBe(32_768)
    expect(recommendation.fits).toBe(false)
    expect(recommendation.reasons[0]).toMatchObject({code: 'DOES_NOT_FIT', quant: 'q4', contextSize: 32_768})
  })

  it("caps the context at the model's training context", () => {
    const recommendation = recommend(profile('workstation-24gb-vram'), model('smollm2-135m'), {contextSize: 32_768})
    expect(recommendation.contextSize).toBe(8192)
    expect(recommendation.reasons).toContainEqual({code: 'CONTEXT_CAPPED', requested: 32_768, max: 8192})
  })

  it('reports missing tiers and estimated sizes', () => {
    const vision = recommend(profile('laptop-8gb-cpu'), model('smolvlm-500m'))
    expect(vision.reasons).toContainEqual({code: 'QUANT_UNAVAILABLE', quants: ['q4']})
    expect(vision.estimate.projectorBytes).toBe(190_000_000)
    const licensed = recommend(profile('laptop-8gb-cpu'), model('jsl-meds'))
    expect(licensed.estimate.source).toBe('parameters')
    expect(licensed.reasons.map((reason) => reason.code)).toEqual(expect.arrayContaining(['SIZE_ESTIMATED', 'USER_SUPPLIED']))
  })

  it('falls back to the CPU when a GPU backend reports no free VRAM', () => {
    const machine = profile('desktop-16gb-nvidia-8gb')
    machine.backend.vramFreeBytes = null
    const recommendation = recommend(machine, model('qwen2.5-0.5b'))
    expect(recommendation.gpuLayers).toBe(0)
    expect(summarizeRecommendation(recommendation)).toMatch(/^CPU only \(no free VRAM\): q16/)
  })

  it('uses the exact figures of a GGUF header when given', () => {
    const local: CatalogModel = {...model('qwen2.5-0.5b'), variants: {q8: {file: '/models/x.gguf', quantName: 'Q8_0', sizeBytes: 600_000_000}}}
    const gguf = {path: '/models/x.gguf', weightsBytes: 600_000_000, contextBytes: {8192: 250_000_000}}
    const recommendation = recommend(profile('laptop-8gb-cpu'), local, {gguf})
    expect(recommendation.estimate).toMatchObject({source: 'gguf', weightsBytes: 600_000_000, totalBytes: 850_000_000})
    expect(recommendation.reasons).toContainEqual({code: 'GGUF_EXACT', path: '/models/x.gguf'})
  })
})

describe('memory estimate', () => {
  it('sizes the KV cache per layer, token and KV head (F16 keys and values)', () => {
    // Llama 3 8B: 32 layers × 8 KV heads × 128 × 2 (K, V) × 2 bytes = 128 KiB per token: 1 GiB at 8k.
    expect(kvCacheBytes(model('med42-8b').architecture!, 8192)).toBe(1024 ** 3)
  })

  it('caps sliding-window layers at their window (Gemma 3: 5 of 34 layers see the whole context)', () => {
    const gemma = model('medgemma-4b').architecture!
    const perCell = 2 * 2 * 4 * 256
    expect(kvCacheBytes(gemma, 8192)).toBe(perCell * (5 * 8192 + 29 * 1792))
    expect(kvCacheBytes(gemma, 1024)).toBe(perCell * 34 * 1024)
  })

  it('sizes the compute buffer by the logits of one batch', () => {
    const qwen = model('qwen2.5-0.5b').architecture!
    expect(computeBytes(qwen, 8192)).toBe(4 * 512 * (151_936 + 4 * 896))
    expect(computeBytes(qwen, 256)).toBe(4 * 256 * (151_936 + 4 * 896))
  })

  it("mirrors node-llama-cpp's memory padding", () => {
    expect(vramPaddingBytes(8 * 1024 ** 3)).toBe(Math.floor(8 * 1024 ** 3 * 0.08))
    expect(vramPaddingBytes(48 * 1024 ** 3)).toBe(Math.floor(1.6 * 1024 ** 3))
    expect(ramPaddingBytes(64 * 1024 ** 3, 'linux')).toBe(1024 ** 3)
    expect(ramPaddingBytes(64 * 1024 ** 3, 'darwin')).toBe(6 * 1024 ** 3)
    expect(ramPaddingBytes(2 * 1024 ** 3, 'linux')).toBe(0.5 * 1024 ** 3)
  })

  it('maps GGUF quantization names to tiers', () => {
    expect(['Q4_K_M', 'Q4_0', 'IQ4_XS', 'Q5_K_M', 'Q8_0', 'Q6_K', 'F16', 'BF16', 'F32'].map(quantTierOf)).toEqual(['q4', 'q4', 'q4', 'q4', 'q8', 'q8', 'q16', 'q16', 'q16'])
  })
})

describe('the hw report of a reference machine', () => {
  it('matches schemas/hw.schema.json for every fixture', async () => {
    const schema = await loadSchema('hw.schema.json')
    for (const fixture of FIXTURES) {
      const result = await adviseMachine({profile: profile(fixture)})
      expect(validate(schema, JSON.parse(JSON.stringify(result))), fixture).toEqual([])
    }
  })

  it('describes every reason code and backend reason code (the type checker keeps these lists complete)', async () => {
    const reasonCodes: Record<ReasonCode, true> = {
      FITS_GPU: true,
      PARTIAL_OFFLOAD: true,
      FITS_RAM: true,
      CPU_SPEED: true,
      UNIFIED_MEMORY: true,
      WOULD_SPILL: true,
      SLOWER_QUANT: true,
      TOO_BIG: true,
      DOES_NOT_FIT: true,
      CONTEXT_REDUCED: true,
      CONTEXT_CAPPED: true,
      THREADS_PHYSICAL: true,
      QUANT_UNAVAILABLE: true,
      SIZE_ESTIMATED: true,
      ARCHITECTURE_ASSUMED: true,
      GGUF_EXACT: true,
      BANDWIDTH_ASSUMED: true,
      USER_SUPPLIED: true,
      MEASURED: true,
    }
    const backendCodes: Record<BackendReasonCode, true> = {
      GPU_BACKEND: true,
      NO_GPU: true,
      CUDA_RUNTIME_MISSING: true,
      GPU_RUNTIME_MISSING: true,
      GPU_BINARY_FAILED: true,
      GPU_NOT_CHECKED: true,
      PROBE_FAILED: true,
    }
    const schema = await loadSchema('hw.schema.json')
    const inSchema = schema.$defs!.reason.oneOf!.map((option) => option.properties!.code.const)
    expect([...inSchema].sort()).toEqual(Object.keys(reasonCodes).sort())
    expect([...schema.$defs!.backendReasonCode.enum!].sort()).toEqual(Object.keys(backendCodes).sort())
  })

  it('rejects a document that breaks the schema (the validator is not a no-op)', async () => {
    const schema = await loadSchema('hw.schema.json')
    const result = JSON.parse(JSON.stringify(await adviseMachine({profile: profile('sbc-4gb'), model: 'qwen2.5-0.5b'})))
    result.models[0].recommendation.quant = 'q5'
    result.models[0].recommendation.reasons.push({code: 'FITS_GPU', quant: 'q4'})
    delete result.hardware.cpu.physicalCores
    const errors = validate(schema, result)
    expect(errors.join('\n')).toMatch(/quant: "q5" not in/)
    expect(errors.join('\n')).toMatch(/reasons\[\d+]: matches none of oneOf/)
    expect(errors.join('\n')).toMatch(/cpu: missing physicalCores/)
  })

  it('narrows to one model and renders the machine and the table', async () => {
    const result = await adviseMachine({profile: profile('nvidia-driver-no-runtime'), model: 'MedGemma'})
    expect(result.models.map((advice) => advice.id)).toEqual(['medgemma-4b'])
    expect(result.models[0]).toMatchObject({file: 'medgemma-4b-it-Q8_0.gguf', quantName: 'Q8_0', repo: 'unsloth/medgemma-4b-it-GGUF'})
    const text = renderHwReport(result, {wide: true})
    expect(text).toMatch(/^CPU {6}Intel Core i7-12700 \(x64\), 12 physical \/ 20 logical cores, SIMD: .*AVX2/m)
    expect(text).toMatch(/^GPU {6}NVIDIA GeForce RTX 3060 \[NVIDIA], 12\.0 GiB VRAM \(11\.6 GiB free\), not usable by llama\.cpp$/m)
    expect(text).toMatch(/^BACKEND {2}CPU: NVIDIA driver 550\.54\.14 found, but not the CUDA runtime/m)
    expect(text).toMatch(/^MODEL +QUANT +GPU LAYERS +CONTEXT +THREADS +EST\. MEMORY +FITS +WHY$/m)
    expect(text).toMatch(/^medgemma-4b +q8 +0\/35 +8192 +12 +4\.7 GiB +yes +CPU only/m)
  })

  it('fits 80 columns by default: long facts wrap under their value, the table shows speed instead of reasons', async () => {
    for (const fixture of ['nvidia-driver-no-runtime', 'workstation-24gb-vram', 'apple-m2-max-64gb', 'sbc-4gb'] as const) {
      const text = renderHwReport(await adviseMachine({profile: profile(fixture)}))
      for (const line of text.split('\n')) expect(line.length, `${fixture}: ${line}`).toBeLessThanOrEqual(80)
      expect(text).toMatch(/^MODEL +QUANT +GPU LAYERS +CONTEXT +THREADS +MEMORY +FITS +TOK\/S$/m)
    }

    const text = renderHwReport(await adviseMachine({profile: profile('nvidia-driver-no-runtime'), model: 'MedGemma'}))
    expect(text).toMatch(/^CPU {6}Intel Core i7-12700 \(x64\), 12 physical \/ 20 logical cores, SIMD: .*\n {9}\S/m)
    expect(text).toMatch(/^medgemma-4b +q8 +0\/35 +8192 +12 +4\.7 GiB +yes +~[\d.]+$/m)
  })

  it('marks licensed models and explains how to import them', async () => {
    const text = renderHwReport(await adviseMachine({profile: profile('workstation-24gb-vram')}))
    expect(text).toMatch(/^jsl-meds \* +q16/m)
    expect(text).toContain('import your copy with `jsl-med pull ./FILE.gguf --as ID`')
  })

  it('refuses an unknown model with exit code 4', async () => {
    await expect(adviseMachine({profile: profile('sbc-4gb'), model: 'gpt-5', env: {JSL_MED_MODELS_DIR: join(root, 'test/fixtures/no-store')}})).rejects.toMatchObject({code: 'E_UNKNOWN_MODEL', exitCode: 4})
  })
})
