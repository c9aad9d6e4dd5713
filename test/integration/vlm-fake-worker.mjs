// A stand-in for src/lib/engine/vision-worker.ts that speaks the same IPC protocol without a model, to test how
// the vision engine handles crashes, load failures and stdout noise. FAKE_VISION_WORKER picks the behaviour.

// Plain JavaScript, so that it starts without a TypeScript loader. Messages follow src/lib/engine/vision-protocol.ts.

const mode = process.env.FAKE_VISION_WORKER ?? 'ok'
/** @param {import('../../src/lib/engine/vision/protocol.js').WorkerMessage} message */
const send = (message) => {
  process.send?.(message)
}

process.on('disconnect', () => process.exit(0))
process.on('message', (/** @type {import('../../src/lib/engine/vision/protocol.js').ParentMessage} */ message) => {
  // What @fugood/llama.node does: chatter on stdout. The engine must keep it away from its own stdout.
  process.stdout.write(`[INFO] fake worker got ${message.type}\n`)
  process.stderr.write(`fake worker stderr: ${message.type}\n`)
  if (message.type === 'load') {
    if (mode === 'load-error') {
      process.stderr.write('clip_model_loader: error: unknown projector type: fancy\n')
      send({type: 'load-error', kind: 'engine', code: 'E_MMPROJ_INVALID', message: 'llama.cpp could not load the vision projector'})
      return
    }

    if (mode === 'die-on-load') process.exit(3)
    send({type: 'ready', contextSize: message.contextSize ?? 4096, sequences: message.sequences, threads: message.threads, devices: ['CPU'], chatTemplate: 'jinja', backend: 'fake'})
  } else if (message.type === 'generate') {
    if (message.user.includes('__crash__')) process.kill(process.pid, 'SIGABRT')
    if (message.user.includes('__slow__')) return // answered only by an abort
    send({type: 'result', id: message.id, text: `${message.user} (${message.images.length} images)`, promptTokens: 10, outputTokens: 3, stopReason: 'endOfText', durationMs: 1})
  } else if (message.type === 'abort') {
    send({type: 'error', id: message.id, kind: 'interrupted', code: 'E_INTERRUPTED', message: 'Interrupted'})
  } else if (message.type === 'dispose') {
    process.exit(0)
  }
})
