import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, inject, it} from 'vitest'

import {sha256, startHfMock, type HfMock} from '../../helpers/hf-mock-server.js'
import {root, runCli} from '../../helpers/spawn-cli.js'

const TOKEN = 'hf_spawnSECRET0987654321'
let dir: string
let mock: HfMock
let model: Buffer
let storeCount = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jsl-med-pull-'))
  model = await readFile(inject('tinyModelPath'))
  mock = await startHfMock({
    token: TOKEN,
    repos: {
      'acme/tiny-GGUF': {license: 'apache-2.0', files: {'tiny-Q4_K_M.gguf': model}},
      'acme/gated-GGUF': {gated: true, files: {'gated-Q4_K_M.gguf': model}},
    },
  })
})

afterAll(async () => {
  await mock?.close()
  await rm(dir, {recursive: true, force: true})
})

afterEach(() => {
  mock.setFault(undefined)
  mock.setThrottle(undefined)
})

/** Environment of a fresh store pointed at the mock hub (and away from any real token). */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return {HF_ENDPOINT: mock.endpoint, JSL_MED_MODELS_DIR: join(dir, `store-${++storeCount}`), HF_HOME: join(dir, 'no-hf-home'), HF_TOKEN: '', ...extra}
}

const REF = 'hf:acme/tiny-GGUF:Q4_K_M'
const pathIn = (environment: Record<string, string>): string => join(environment.JSL_MED_MODELS_DIR, 'hf/acme/tiny-GGUF/tiny-Q4_K_M.gguf')

describe('jsl-med pull (spawned, against a hub mock on 127.0.0.1)', () => {
  it('prints only the installed path on stdout, progress on stderr; --json gives the document; --quiet silences stderr', async () => {
    const environment = env()
    const first = await runCli(['pull', REF], '', environment)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toBe(`${pathIn(environment)}\n`)
    expect(first.stderr).toMatch(/tiny-Q4_K_M\.gguf: downloading \(\d+ kB\)/)
    expect(first.stderr).toMatch(/Installed: hf:acme\/tiny-GGUF\/tiny-Q4_K_M\.gguf .*sha256 verified against the hub/)
    expect(sha256(await readFile(pathIn(environment)))).toBe(sha256(model))

    const json = await runCli(['pull', REF, '--json', '--quiet'], '', environment)
    expect(json.code, json.stderr).toBe(0)
    expect(json.stderr).toBe('')
    expect(JSON.parse(json.stdout)).toMatchObject({
      path: pathIn(environment),
      sizeBytes: model.length,
      sha256: sha256(model),
      verified: true,
      source: 'hf:acme/tiny-GGUF/tiny-Q4_K_M.gguf',
      revision: 'main',
      license: 'apache-2.0',
      alreadyInstalled: true,
    })

    const list = await runCli(['models'], '', environment)
    expect(list.code, list.stderr).toBe(0)
    const [header, row] = list.stdout.trimEnd().split('\n')
    expect(header.split(/\s{2,}/)).toEqual(['ID', 'QUANT', 'SIZE', 'SHA256', 'INSTALLED', 'PATH'])
    expect(row.split(/\s{2,}/)).toEqual(['hf:acme/tiny-GGUF/tiny-Q4_K_M.gguf', 'Q4_K_M', expect.stringMatching(/kB$/), 'verified', expect.stringMatching(/^\d{4}-/), pathIn(environment)])
    const listed = JSON.parse((await runCli(['models', 'list', '--json'], '', environment)).stdout)
    expect(listed.models.map((m: {id: string}) => m.id)).toEqual(['hf:acme/tiny-GGUF/tiny-Q4_K_M.gguf'])

    const removed = await runCli(['models', 'rm', 'hf:acme/tiny-GGUF:Q4_K_M'], '', environment)
    expect(removed).toMatchObject({code: 0, stdout: expect.stringMatching(/^deleted hf:acme\/tiny-GGUF\/tiny-Q4_K_M\.gguf \(\d+ kB freed\)\n$/)})
    await expect(stat(pathIn(environment))).rejects.toThrow()
    const again = await runCli(['models', 'rm', 'hf:acme/tiny-GGUF:Q4_K_M'], '', environment)
    expect(again.code, again.stderr).toBe(4)
    expect(again.stderr).toMatch(/E_NOT_INSTALLED/)
  })

  it('resumes after a connection cut at 40% (exit 5, then a Range request) and after kill -9', async () => {
    const environment = env()
    mock.setThrottle(2_000_000)
    mock.setFault({kind: 'cut', afterFraction: 0.5, times: 1})
    const cut = await runCli(['pull', REF, '--retries', '0'], '', environment)
    expect(cut.code, cut.stderr).toBe(5)
    expect(cut.stdout).toBe('')
    expect(cut.stderr).toMatch(/Error \[E_DOWNLOAD_INTERRUPTED]: tiny-Q4_K_M\.gguf: the connection was lost after (4\d|50)%/)
    expect(cut.stderr).toMatch(/Hint: Run the same command again: it resumes/)
    const kept = (await stat(`${pathIn(environment)}.part`)).size

    const before = mock.log.length
    const resumed = await runCli(['pull', REF], '', environment)
    expect(resumed.code, resumed.stderr).toBe(0)
    const get = mock.log.slice(before).find((entry) => entry.server === 'cdn' && entry.method === 'GET')!
    expect(get.range).toBe(`bytes=${kept}-`)
    expect(kept / model.length).toBeGreaterThanOrEqual(0.4)
    expect(resumed.stderr).toMatch(/resuming at (4\d|50)%/)
    expect(sha256(await readFile(pathIn(environment)))).toBe(sha256(model))

    // The same after SIGKILL: no handler runs, the .part and a lock of a dead process stay behind.
    const killed = env()
    mock.setThrottle(300_000)
    const child = spawn(process.execPath, [join(root, 'bin/run.js'), 'pull', REF], {env: {...process.env, ...killed}, stdio: 'ignore'})
    const part = `${pathIn(killed)}.part`
    for (let waited = 0; ((await stat(part).catch(() => undefined))?.size ?? 0) < 100_000 && waited < 15_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50))
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    mock.setThrottle(undefined)
    const partBytes = (await stat(part)).size
    expect(partBytes).toBeGreaterThan(0)
    const afterKill = mock.log.length
    const rerun = await runCli(['pull', REF, '--json'], '', killed)
    expect(rerun.code, rerun.stderr).toBe(0)
    expect(JSON.parse(rerun.stdout)).toMatchObject({sha256: sha256(model), resumedFromBytes: partBytes})
    expect(mock.log.slice(afterKill).find((entry) => entry.server === 'cdn')?.range).toBe(`bytes=${partBytes}-`)
  })

  it('installs nothing when the sha256 is wrong (exit 5)', async () => {
    const environment = env()
    mock.setFault({kind: 'corrupt'})
    const {code, stdout, stderr} = await runCli(['pull', REF], '', environment)
    expect(code).toBe(5)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/Error \[E_CHECKSUM]: tiny-Q4_K_M\.gguf: sha256 mismatch/)
    await expect(stat(pathIn(environment))).rejects.toThrow()
    await expect(stat(`${pathIn(environment)}.part`)).rejects.toThrow()
    expect(JSON.parse((await runCli(['models', '--json'], '', environment)).stdout).models).toEqual([])
  })

  it('exits 5 with "accept the license … set HF_TOKEN" for a gated repo, and never prints the token', async () => {
    const anonymous = await runCli(['pull', 'hf:acme/gated-GGUF:Q4_K_M'], '', env())
    expect(anonymous.code, anonymous.stderr).toBe(5)
    expect(anonymous.stderr).toContain(`Hint: Accept the license at ${mock.endpoint}/acme/gated-GGUF and set HF_TOKEN`)

    const wrong = await runCli(['pull', 'hf:acme/gated-GGUF:Q4_K_M', '--verbose', '--json'], '', env({HF_TOKEN: `${TOKEN}-wrong`, DEBUG: '1'}))
    expect(wrong.code, wrong.stderr).toBe(5)
    expect(JSON.parse(wrong.stdout).error).toMatchObject({code: 'E_GATED', exitCode: 5})
    expect(`${wrong.stdout}${wrong.stderr}`).not.toContain(TOKEN)

    const tokenFile = join(dir, 'hf-home', 'token')
    await rm(join(dir, 'hf-home'), {recursive: true, force: true})
    await import('node:fs/promises').then(({mkdir}) => mkdir(join(dir, 'hf-home')))
    await writeFile(tokenFile, TOKEN)
    const allowed = await runCli(['pull', 'hf:acme/gated-GGUF:Q4_K_M', '--verbose'], '', env({HF_HOME: join(dir, 'hf-home'), DEBUG: '1'}))
    expect(allowed.code, allowed.stderr).toBe(0)
    expect(`${allowed.stdout}${allowed.stderr}`).not.toContain(TOKEN)
  })

  it('lets two concurrent pulls of the same file end with one valid file', async () => {
    const environment = env()
    mock.setThrottle(1_000_000)
    const before = mock.log.length
    const [a, b] = await Promise.all([runCli(['pull', REF], '', environment), runCli(['pull', REF], '', environment)])
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0])
    expect(a.stdout).toBe(b.stdout)
    expect(`${a.stderr}${b.stderr}`).toMatch(/Waiting for another jsl-med \(pid \d+\) that is downloading tiny-Q4_K_M\.gguf/)
    expect(mock.log.slice(before).filter((entry) => entry.server === 'cdn' && entry.method === 'GET')).toHaveLength(1)
    expect(sha256(await readFile(pathIn(environment)))).toBe(sha256(model))
  })

  it('--offline with the model absent exits 4 without any connection to the server', async () => {
    const before = mock.log.length
    const {code, stdout, stderr} = await runCli(['pull', REF, '--offline'], '', env())
    expect(code).toBe(4)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/Error \[E_OFFLINE]/)
    expect(stderr).toContain(`Hint: Run without --offline (and without JSL_MED_OFFLINE / HF_HUB_OFFLINE): jsl-med pull ${REF}`)
    expect((await runCli(['pull', 'qwen3-1.7b'], '', env({JSL_MED_OFFLINE: '1'}))).code).toBe(4)
    expect(mock.log.length).toBe(before)
  })

  it('refuses to import a text file renamed .gguf, and imports a real one that --model then finds by name', async () => {
    const environment = env()
    const fake = join(dir, 'note.gguf')
    await writeFile(fake, 'Pt is a 67yo M with CHF.\n')
    const refused = await runCli(['pull', fake, '--as', 'fake'], '', environment)
    expect(refused.code, refused.stderr).toBe(7)
    expect(refused.stderr).toMatch(/E_MODEL_INVALID.*not a GGUF model file/)
    await expect(stat(environment.JSL_MED_MODELS_DIR)).rejects.toThrow()

    const imported = await runCli(['pull', inject('tinyModelPath'), '--as', 'tiny'], '', environment)
    expect(imported.code, imported.stderr).toBe(0)
    const installed = imported.stdout.trim()
    expect(installed).toBe(join(environment.JSL_MED_MODELS_DIR, 'local', 'tiny', 'tiny.gguf'))

    const summarized = await runCli(['summarize', '--model', 'tiny', '--threads', '1', '--max-tokens', '4', '--gpu', 'off', '--format', 'ndjson'], 'Pt is a 67yo M with CHF.', environment)
    expect(summarized.code, summarized.stderr).toBe(0)
    expect(JSON.parse(summarized.stdout)).toMatchObject({summary: expect.any(String)})
  })

  it('tells a task command which pull to run for a catalog model that is not installed (exit 4)', async () => {
    const {code, stdout, stderr} = await runCli(['summarize', '--model', 'qwen3-1.7b:q8'], 'note', env())
    expect(code).toBe(4)
    expect(stdout).toBe('')
    expect(stderr).toContain('Error [E_NOT_INSTALLED]: Model qwen3-1.7b:q8 is not installed')
    expect(stderr).toContain('Hint: Run: jsl-med pull qwen3-1.7b:q8')
  })
})
