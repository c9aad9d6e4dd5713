import {describe, expect, it} from 'vitest'

import {parseModelRef, quantClassOf, quantNameOf, type StoreCatalog, type StoreCatalogModel} from '../../../src/lib/store/index.js'

const model: StoreCatalogModel = {id: 'qwen3-1.7b', aliases: ['qwen3'], name: 'Qwen3 1.7B', repo: 'ggml-org/Qwen3-1.7B-GGUF', revision: 'main', license: 'apache-2.0', gated: false, variants: {q4: {file: 'Qwen3-1.7B-Q4_K_M.gguf', quantName: 'Q4_K_M'}}}
const catalog: StoreCatalog = {listModels: () => [model], findModel: (name) => (name === model.id || model.aliases!.includes(name) ? model : undefined)}
const parse = (ref: string) => parseModelRef(ref, {catalog, hfEndpoint: 'https://huggingface.co'})

describe('parseModelRef', () => {
  it('reads catalog aliases, with an optional :q4/:q8/:q16 tier', () => {
    expect(parse('qwen3-1.7b')).toEqual({kind: 'catalog', model})
    expect(parse('qwen3:q8')).toEqual({kind: 'catalog', model, quant: 'q8'})
    expect(parse('nope')).toEqual({kind: 'unknown', name: 'nope'})
  })

  it('reads hf: references: a file, a quant tag, a bare repo, with @ or # revisions and the usual prefixes', () => {
    expect(parse('hf:acme/m-GGUF/sub/m-Q4_K_M.gguf')).toEqual({kind: 'hf-file', repo: 'acme/m-GGUF', path: 'sub/m-Q4_K_M.gguf', revision: 'main'})
    expect(parse('hf:acme/m-GGUF:q4_k_m')).toEqual({kind: 'hf-quant', repo: 'acme/m-GGUF', quantName: 'Q4_K_M', revision: 'main'})
    expect(parse('hf.co/acme/m-GGUF:Q8_0')).toEqual({kind: 'hf-quant', repo: 'acme/m-GGUF', quantName: 'Q8_0', revision: 'main'})
    expect(parse('huggingface:acme/m-GGUF')).toEqual({kind: 'hf-repo', repo: 'acme/m-GGUF', revision: 'main'})
    expect(parse('hf://acme/m-GGUF/m.gguf@0123abc')).toMatchObject({kind: 'hf-file', revision: '0123abc'})
    expect(parse('hf:acme/m-GGUF:Q4_K_M#v2')).toMatchObject({kind: 'hf-quant', revision: 'v2'})
  })

  it('turns hub resolve (or blob) URLs into hf: files, and keeps other URLs as URLs', () => {
    expect(parse('https://huggingface.co/acme/m-GGUF/resolve/main/m-Q4_K_M.gguf?download=true')).toEqual({kind: 'hf-file', repo: 'acme/m-GGUF', path: 'm-Q4_K_M.gguf', revision: 'main'})
    expect(parse('https://huggingface.co/acme/m-GGUF/blob/abc/d/m.gguf')).toEqual({kind: 'hf-file', repo: 'acme/m-GGUF', path: 'd/m.gguf', revision: 'abc'})
    expect(parseModelRef('http://127.0.0.1:9/acme/m/resolve/main/x.gguf', {catalog, hfEndpoint: 'http://127.0.0.1:9'})).toMatchObject({kind: 'hf-file', repo: 'acme/m'})
    expect(parse('https://example.org/models/m.gguf')).toMatchObject({kind: 'url'})
  })

  it('takes paths and .gguf names as local files', () => {
    for (const ref of ['./m.gguf', 'm.gguf', '/abs/model', '../x/y', 'C:\\models\\m.gguf']) expect(parse(ref)).toEqual({kind: 'file', path: ref})
  })

  it('refuses malformed hf: references with a usage error', () => {
    for (const ref of ['hf:acme', 'hf:acme/m/x.gguf:Q4_K_M', 'hf:acme/m/../x.gguf', 'hf:acme/m@', '']) {
      expect(() => parse(ref), ref).toThrow(expect.objectContaining({exitCode: 2}))
    }
  })
})

describe('quantization names', () => {
  it('finds the quant name in the file names of the usual uploaders', () => {
    const cases: Record<string, string | undefined> = {
      'Qwen3-1.7B-Q4_K_M.gguf': 'Q4_K_M',
      'II-Medical-8B-1706.Q4_K_M.gguf': 'Q4_K_M',
      'medpsy-1.7b-q4_k_m-imat.gguf': 'Q4_K_M',
      'medinote-7b.i1-Q4_K_M.gguf': 'Q4_K_M',
      'Qwen2.5-VL-3B-Instruct-f16.gguf': 'F16',
      'medgemma-4b-it-BF16.gguf': 'BF16',
      'smollm2-360m-instruct-q8_0.gguf': 'Q8_0',
      'x-IQ4_XS.gguf': 'IQ4_XS',
      'model.gguf': undefined,
    }
    for (const [file, name] of Object.entries(cases)) expect(quantNameOf(file), file).toBe(name)
  })

  it('classes quant names into tiers', () => {
    expect(['Q4_K_M', 'Q5_K_M', 'IQ4_XS', 'Q3_K_S'].map(quantClassOf)).toEqual(['q4', 'q4', 'q4', 'q4'])
    expect(['Q8_0', 'Q6_K'].map(quantClassOf)).toEqual(['q8', 'q8'])
    expect(['F16', 'BF16', 'F32', undefined].map(quantClassOf)).toEqual(['q16', 'q16', undefined, undefined])
  })
})
