// Section `ner`: `jsl-med ner -j auto` (and -j 1) over short synthetic records, records/s, against llama-server
// (-np 4, 4 concurrent clients) on 127.0.0.1 with the same model, threads, prompts, grammar and max tokens.
// Both start each round cold: a new jsl-med process, a llama-server started again (model loads are not timed).
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {childEnv, fmt, lib, log, median, ratioCell, roundStart, runJs, runProgram, startDaemon, table, underCondition} from './common.js'

const SLOTS = 4

/** `count` clinical-looking one-liners, made up here (never from a dataset), varied but deterministic. */
export function makeRecords(count) {
  const ages = [34, 45, 52, 58, 61, 67, 72, 79, 83]
  const problems = ['CHF', 'type 2 diabetes', 'COPD', 'atrial fibrillation', 'hypertension', 'CKD stage 3', 'community-acquired pneumonia', 'asthma', 'hypothyroidism', 'gout']
  const drugs = ['lisinopril 10 mg daily', 'metformin 500 mg BID', 'apixaban 5 mg BID', 'furosemide 40 mg daily', 'atorvastatin 20 mg nightly', 'albuterol PRN', 'amlodipine 5 mg daily', 'levothyroxine 50 mcg daily', 'allopurinol 100 mg daily']
  const denied = ['chest pain', 'fever', 'shortness of breath', 'nausea', 'dizziness', 'cough', 'leg swelling']
  const plans = ['Check BMP in 1 week.', 'Repeat chest X-ray in 6 weeks.', 'Follow up in clinic in 2 weeks.', 'Refer to physical therapy.', 'Order echocardiogram.', 'Return if fever.', 'Mother had colon cancer.', 'HbA1c 7.9% last month.']
  return Array.from({length: count}, (_, i) => ({
    id: `r${i + 1}`,
    text: `${ages[i % ages.length]}yo ${i % 2 ? 'F' : 'M'} with ${problems[i % problems.length]}, on ${drugs[(i * 7) % drugs.length]}; denies ${denied[(i * 3) % denied.length]}. ${plans[(i * 5) % plans.length]}`,
  }))
}

/**
 * The chat calls jsl-med's own `ner` task makes for each text: its system prompt, user message and the GBNF grammar
 * jsl-med's llama engine constrains the output with (`requestGbnf`), captured from the task with a stand-in engine
 * that answers `{"entities": []}` (one call per short record).
 */
export async function captureNerCalls(texts, {maxTokens, contextSize}) {
  const {nerTask} = await lib('tasks')
  const {requestGbnf} = await lib('engine')
  const calls = []
  const engine = {
    info: {kind: 'echo', contextSize, sequences: 1, threads: 1, gpu: false, chatWrapper: 'none'},
    countTokens: (text) => Math.ceil(text.length / 3),
    countPromptTokens: ({system, user}) => Math.ceil((system.length + user.length) / 3) + 16,
    async chat(request) {
      const grammar = requestGbnf(request)
      // Without GBNF text the engine would use node-llama-cpp's grammar, which llama-server cannot be given.
      if (grammar === undefined) throw new Error('the ner schema is outside jsonSchemaToGbnf\'s subset: update this script')
      calls.push({system: request.system, user: request.user, grammar})
      return {text: '{"entities":[]}', json: {entities: []}, stopReason: 'endOfText', promptTokens: 0, outputTokens: 0, durationMs: 0}
    },
    async dispose() {},
  }
  for (const text of texts) await nerTask.run(text, {engine, settings: {maxTokens, temperature: 0}})
  return calls
}

/** One `jsl-med ner` run; the time counts from the engine being ready (its `engine:` log line) to the last record. */
async function jslNer({modelPath, input, jobs, maxTokens, count, timeoutMs}) {
  let readyMs
  let lastMs
  const output = []
  let lines = 0
  let errorLines = 0
  let engine
  const threadsSeen = new Set()
  const audit = join(await mkdtemp(join(tmpdir(), 'jsl-med-ner-audit-')), 'audit.ndjson')
  const args = [runJs, 'ner', '-m', modelPath, '-j', String(jobs), '--max-tokens', String(maxTokens), '--verbose', '--audit', audit]
  const result = await runProgram(process.execPath, args, {
    env: childEnv(),
    input,
    timeoutMs,
    onStdoutLine: (line, ms) => {
      if (!line.trim()) return
      output.push(line)
      ;[lines, lastMs] = [lines + 1, ms]
      if (line.includes('"error":{')) errorLines++
    },
    onStderrLine: (line, ms) => {
      const text = line.replace(/\u001B\[[0-9;]*m/g, '') // the logger may colour debug lines
      if (text.startsWith('engine: ')) {
        engine = JSON.parse(text.slice('engine: '.length))
        readyMs = ms
        threadsSeen.add(engine.threads)
      }

      const change = /^threads: (?:\d+ → )?(\d+)/.exec(text)
      if (change) threadsSeen.add(Number(change[1]))
    },
  })
  if (result.code !== 0 && result.code !== 9) throw new Error(`jsl-med ner -j ${jobs} exit ${result.code}: ${result.stderr.trim().split('\n').slice(-2).join(' | ')}`)
  if (lines !== count) throw new Error(`jsl-med ner -j ${jobs} wrote ${lines} of ${count} records`)
  const seconds = ((lastMs ?? result.ms) - (readyMs ?? 0)) / 1000
  const audited = (await readFile(audit, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((line) => JSON.parse(line))
  await rm(dirname(audit), {recursive: true, force: true})
  const outputTokens = audited.reduce((sum, line) => sum + (line.output_tokens ?? 0), 0)
  return {recordsPerSecond: count / seconds, seconds, wallSeconds: result.ms / 1000, outputTokensPerRecord: outputTokens / count, threads: engine?.threads, threadsSeen: [...threadsSeen], sequences: engine?.sequences, contextSize: engine?.contextSize, failedRecords: errorLines, output}
}

async function freePort() {
  const server = createServer()
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const {port} = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Starts llama-server on 127.0.0.1 and waits until /health answers 200. */
async function startLlamaServer({path, modelPath, contextSize, threads, flashAttention, timeoutMs}) {
  const port = await freePort()
  const args = ['-m', modelPath, '-np', String(SLOTS), '-c', String(SLOTS * contextSize), '-t', String(threads), '-fa', flashAttention, '--jinja', '--host', '127.0.0.1', '--port', String(port)]
  log(`llama-server ${args.join(' ')}`)
  const server = startDaemon(path, args)
  const deadline = performance.now() + Math.min(timeoutMs, 10 * 60_000)
  let exited = false
  server.exited.then(() => (exited = true))
  while (performance.now() < deadline && !exited) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`, {signal: AbortSignal.timeout(2000)}).then((response) => response.ok, () => false)
    if (ok) return {...server, port}
    await sleep(250)
  }

  await server.stop()
  throw new Error(`llama-server did not become ready: ${server.output().trim().split('\n').slice(-3).join(' | ')}`)
}

/** Sends every call to the server from SLOTS concurrent clients; records/s = records / wall time. */
async function serverBatch({port, calls, count, maxTokens, timeoutMs}) {
  let next = 0
  let failed = 0
  let outputTokens = 0
  let firstError
  const started = performance.now()
  const client = async () => {
    while (next < calls.length) {
      const {system, user, grammar} = calls[next++]
      const body = {
        messages: [{role: 'system', content: system}, {role: 'user', content: user}],
        grammar,
        temperature: 0,
        max_tokens: maxTokens,
      }
      const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: {'content-type': 'application/json'},
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      }).catch((error) => ({ok: false, status: error.name, text: async () => error.message}))
      if (!response.ok) {
        failed++
        firstError ??= `${response.status}: ${(await response.text()).slice(0, 200)}`
      } else outputTokens += (await response.json()).usage?.completion_tokens ?? 0
    }
  }

  await Promise.all(Array.from({length: SLOTS}, client))
  const seconds = (performance.now() - started) / 1000
  if (failed === calls.length) throw new Error(`llama-server failed every request (${firstError})`)
  return {recordsPerSecond: count / seconds, seconds, outputTokensPerRecord: outputTokens / count, failedRequests: failed, ...(firstError ? {firstError} : {})}
}

/** llama-server's name in the tables: its default flash attention (auto) is left unsaid. */
const serverName = (flashAttention) => `llama-server -np ${SLOTS}${flashAttention === 'auto' ? '' : ` -fa ${flashAttention}`}`

/** options: {shape, quant, records, maxTokens, jobs: ['auto', 1], serverFlashAttention: ['auto'], conditions, rounds, llamaServer, cacheRoot, timeoutMs} */
export async function runNer(options) {
  const {ensureSyntheticModel, runInterleaved} = await lib('bench')
  const {spec} = await ensureSyntheticModel({shape: options.shape, quant: options.quant, cacheDir: join(options.cacheRoot, 'synthetic')})
  const records = makeRecords(options.records)
  const input = records.map((record) => JSON.stringify(record)).join('\n') + '\n'
  const model = `${options.shape} ${options.quant}`
  const rows = []
  for (const condition of options.conditions) {
    await underCondition(condition, async () => {
      // jsl-med's own choices at this load: its threads and context per sequence, from a one-record run.
      const probe = await jslNer({modelPath: spec.path, input: input.split('\n')[0] + '\n', jobs: 1, maxTokens: options.maxTokens, count: 1, timeoutMs: options.timeoutMs})
      if (!probe.threads || !probe.contextSize) throw new Error('jsl-med ner --verbose did not log its engine (threads, context size)')
      // llama-server runs at the count jsl-med settled on (its last change), not the one it started at.
      const threads = probe.threadsSeen.at(-1) ?? probe.threads
      const calls = await captureNerCalls(records.map((record) => record.text), {maxTokens: options.maxTokens, contextSize: probe.contextSize})
      log(`ner ${model}, ${condition.name}: jsl-med chose ${probe.threadsSeen.join(' → ')} threads, ${probe.contextSize} tokens per sequence; ${calls.length} calls for ${records.length} records`)
      // Every round starts every program cold: jsl-med is a new process, and llama-server is started again (its load
      // untimed, like jsl-med's), so no program finds the shared prompt prefix already evaluated by an earlier round
      // (llama-server keeps it in its slots and in its RAM prompt cache).
      const coldServer = (flashAttention) => async () => {
        const server = await startLlamaServer({path: options.llamaServer, modelPath: spec.path, contextSize: probe.contextSize, threads, flashAttention, timeoutMs: options.timeoutMs})
        try {
          return {...(await serverBatch({port: server.port, calls, count: records.length, maxTokens: options.maxTokens, timeoutMs: options.timeoutMs})), threads}
        } finally {
          await server.stop()
        }
      }

      const programs = [
        ...options.jobs.map((jobs) => ({name: `jsl-med -j ${jobs}`, run: () => jslNer({modelPath: spec.path, input, jobs, maxTokens: options.maxTokens, count: records.length, timeoutMs: options.timeoutMs})})),
        ...options.serverFlashAttention.map((flashAttention) => ({name: serverName(flashAttention), run: coldServer(flashAttention)})),
      ].map(({name, run}) => ({name, run: () => run().catch((error) => ({error: error.message}))}))
      const rounds = await runInterleaved({
        rounds: options.rounds,
        programs,
        rotate: true,
        atStart: (round) => roundStart(`ner ${model}, ${condition.name}, round ${round}/${options.rounds}`),
        onResult: (round, name, value) => log(`  ${name}: ${value.error ? `failed: ${value.error}` : `${fmt(value.recordsPerSecond, 2)} records/s (${fmt(value.seconds, 1)} s, ${fmt(value.outputTokensPerRecord, 1)} output tokens a record, threads ${value.threadsSeen?.join('→') ?? value.threads})`}`),
      })
      for (const {round, start, results} of rounds) {
        // Batched arithmetic is not bit-identical to one sequence at a time: how many records the -j runs disagree on.
        const [first, last] = [results[0].value.output, results[options.jobs.length - 1].value.output]
        if (first && last && options.jobs.length > 1) results[0].value.differentRecords = first.filter((line, i) => line !== last[i]).length
        for (const {value} of results) delete value.output
        for (const {name, value} of results) rows.push({section: 'ner', model, condition: condition.name, round, ...start, program: name, records: records.length, maxTokens: options.maxTokens, ...value})
      }
    })
  }

  return {rows, programs: [...options.jobs.map((jobs) => `jsl-med -j ${jobs}`), ...options.serverFlashAttention.map(serverName)], jobs: options.jobs.length}
}

const jobsOf = (program) => program.replace('jsl-med ', '')

/** Records/s medians per condition and the ratio -j auto / the faster llama-server (target ≥ 1). */
export function renderNer({rows, programs, jobs}, {records, maxTokens, rounds}) {
  const servers = programs.slice(jobs)
  const conditions = [...new Set(rows.map((row) => row.condition))]
  const body = conditions.map((condition) => {
    const at = (program) => rows.filter((row) => row.condition === condition && row.program === program)
    const rate = (program) => median(at(program).map((row) => row.recordsPerSecond))
    const threads = [...new Set(rows.filter((row) => row.condition === condition).flatMap((row) => row.threadsSeen ?? [row.threads]).filter(Boolean))].join(',')
    const differing = at(programs[0]).map((row) => row.differentRecords).filter((n) => n !== undefined)
    const perRecord = (program) => median(at(program).map((row) => row.outputTokensPerRecord))
    const cells = programs.map((program) => (at(program).every((row) => row.error) ? 'failed' : `${fmt(rate(program), 2)} (${fmt(perRecord(program), 1)})`))
    const bestServer = Math.max(...servers.map(rate).filter(Number.isFinite))
    return [rows.find((row) => row.condition === condition).model, condition, threads, ...cells, ratioCell(rate(programs[0]), bestServer, {atLeast: 1}), differing.length > 0 ? `${Math.max(...differing)}/${records}` : '–']
  })
  const failures = rows.filter((row) => row.error).map((row) => `round ${row.round} ${row.program}: ${row.error}`)
  return [
    `### ner: records/s (output tokens a record) over ${records} short records, --max-tokens ${maxTokens}, median of ${rounds} interleaved rounds (model load excluded; jsl-med at its defaults)`,
    '',
    table(['model', 'load', 'threads', ...programs.map((program) => `${program} rec/s`), `${programs[0]} / ${servers.length > 1 ? 'faster llama-server' : 'llama-server'} (≥ 1)`, `records differing ${jobsOf(programs[0])} vs ${jobsOf(programs[jobs - 1])}`], body),
    ...failures.map((failure) => `\nFailed: ${failure}`),
  ].join('\n')
}
