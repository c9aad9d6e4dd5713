import {describe, expect, it} from 'vitest'

import {chooseFlashAttention} from '../../../src/lib/engine/llama/attention.js'

describe('chooseFlashAttention', () => {
  it('is off on the CPU and auto on a GPU by default', () => {
    expect(chooseFlashAttention(false, {})).toBe(false)
    expect(chooseFlashAttention('cuda', {})).toBe('auto')
  })

  it('follows JSL_MED_FLASH_ATTENTION, and refuses anything else with exit 3', () => {
    expect(chooseFlashAttention(false, {JSL_MED_FLASH_ATTENTION: 'on'})).toBe(true)
    expect(chooseFlashAttention(false, {JSL_MED_FLASH_ATTENTION: 'Auto'})).toBe('auto')
    expect(chooseFlashAttention('vulkan', {JSL_MED_FLASH_ATTENTION: 'off'})).toBe(false)
    expect(() => chooseFlashAttention(false, {JSL_MED_FLASH_ATTENTION: 'fast'})).toThrow(expect.objectContaining({exitCode: 3}))
  })
})
