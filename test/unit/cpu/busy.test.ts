import {describe, expect, it} from 'vitest'

import {othersBusyCores, startBusyCores, takeCpuSnapshot} from '../../../src/lib/cpu/index.js'

describe('startBusyCores', () => {
  it('keeps a core busy until stopped', async () => {
    const busy = await startBusyCores(1, 100)
    try {
      const before = await takeCpuSnapshot()
      await new Promise((resolve) => setTimeout(resolve, 300))
      const after = await takeCpuSnapshot()
      // Only where /proc/stat exists; the child's loop is another process's CPU time.
      if (before && after) expect(othersBusyCores(before, after)).toBeGreaterThan(0.5)
    } finally {
      await busy.stop()
    }

    await busy.stop() // idempotent
    expect(busy.count).toBe(1)
  })

  it('starts nothing for 0 and refuses a fraction', async () => {
    await expect(startBusyCores(0)).resolves.toMatchObject({count: 0})
    await expect(startBusyCores(1.5)).rejects.toThrow(RangeError)
  })
})
