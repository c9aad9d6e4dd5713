import {createHash} from 'node:crypto'

import {fingerprintHardware, type HardwareFingerprint} from '../bench/index.js'
import type {HardwareProfile} from '../hardware/index.js'

/**
 * The key of the machine a bench record was measured on: a sha256 (first 16 hex digits) of the fingerprint's
 * identifying parts, the CPU (model, physical and logical cores, llama.cpp's features), the backend and its GPUs,
 * the RAM, the OS and architecture and the llama.cpp binary kind. Threads and times are left out: they vary from
 * run to run on the same machine. Lists are sorted, so that the order a probe reports them in does not matter.
 */
export function hardwareKey(fingerprint: HardwareFingerprint): string {
  const parts = {
    cpu: fingerprint.cpu.model,
    physicalCores: fingerprint.cpu.physicalCores,
    logicalCores: fingerprint.cpu.logicalCores,
    features: [...fingerprint.cpu.features].sort(),
    backend: fingerprint.backend,
    gpus: [...fingerprint.gpus].sort(),
    ramBytes: fingerprint.ramBytes,
    os: fingerprint.os,
    arch: fingerprint.arch,
    binary: fingerprint.binary?.kind ?? null,
  }
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)
}

/**
 * The key of this machine as `hw` detected it, or undefined when the profile cannot tell it: the key needs
 * llama.cpp's feature line and GPU view, which the profile only has when llama.cpp was loaded
 * (`detectHardware({loadBackend: 'always'})`). The CPU, RAM and OS parts are read live, as bench reads them.
 */
export async function machineKey(profile: HardwareProfile): Promise<string | undefined> {
  const {backend} = profile
  if (!backend.loaded || profile.cpu.llamaSystemInfo === null || backend.name === 'unknown' || !backend.binary?.kind) return undefined
  const fingerprint = await fingerprintHardware(profile.cpu.physicalCores, {
    systemInfo: profile.cpu.llamaSystemInfo,
    gpu: backend.name === 'cpu' ? false : backend.name,
    gpuDevices: profile.gpus.filter((gpu) => gpu.source === 'llama.cpp').map((gpu) => gpu.name),
    binary: {kind: backend.binary.kind, openmp: backend.binary.openmp ?? false},
  })
  return hardwareKey(fingerprint)
}
