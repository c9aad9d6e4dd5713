import {execFile, execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {chmod, mkdir, readFile, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)

/** Whether each program is on PATH (or an absolute path that runs). */
export function haveCommands(names: readonly string[]): string[] {
  return names.filter((name) => {
    try {
      execFileSync('sh', ['-c', `command -v ${name}`], {stdio: 'ignore'})
      return false
    } catch {
      return true
    }
  })
}

/** A TCP port nobody listens on now (the kernel's choice). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

/** A single-node Slurm on localhost (munged, slurmctld and slurmd as root), and how to reach and stop it. */
export interface LocalSlurm {
  /** The environment every Slurm client command needs (SLURM_CONF). */
  env: Record<string, string>
  /** Runs a Slurm client (sbatch, scancel, squeue, …) against this cluster, with `env` added to the environment. */
  client(command: string, args: string[], env?: Record<string, string>): Promise<string>
  /** Stops slurmd, slurmctld and munged (by their pid files), after cancelling every job. */
  stop(): Promise<void>
}

/**
 * Starts a one-node cluster in `dir`: a generated munge key and socket, and a minimal slurm.conf (cons_tres by CPU,
 * no cgroups, no accounting) on two free ports; waits until the node is idle.
 */
export async function startLocalSlurm(dir: string, cpus: number): Promise<LocalSlurm> {
  for (const sub of ['munge', 'state', 'spool', 'log']) await mkdir(join(dir, sub), {recursive: true})
  await chmod(join(dir, 'munge'), 0o700)
  const munge = join(dir, 'munge')
  await run('mungekey', ['--create', '--keyfile', join(munge, 'munge.key'), '--bits', '1024'])
  await run('munged', ['--force', `--key-file=${join(munge, 'munge.key')}`, `--socket=${join(munge, 'munge.sock')}`, `--pid-file=${join(munge, 'munged.pid')}`, `--log-file=${join(munge, 'munged.log')}`, `--seed-file=${join(munge, 'seed')}`])
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()]
  const conf = join(dir, 'slurm.conf')
  await writeFile(conf, [
    'ClusterName=jslmedtest',
    'SlurmctldHost=localhost',
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${join(munge, 'munge.sock')}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
    'ProctrackType=proctrack/pgid',
    'TaskPlugin=task/none',
    'SchedulerType=sched/builtin',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'ReturnToService=2',
    'MpiDefault=none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'MinJobAge=600',
    `NodeName=jslnode NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=${cpus} RealMemory=1000 State=UNKNOWN`,
    'PartitionName=debug Nodes=jslnode Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n'))
  const env = {SLURM_CONF: conf}
  const client = async (command: string, args: string[], extra: Record<string, string> = {}): Promise<string> => (await run(command, args, {env: {...process.env, ...env, ...extra}})).stdout
  const stop = async (): Promise<void> => {
    await client('scancel', ['--full', '--user', 'root']).catch(() => {}) // nothing to cancel, or no controller: stopping anyway
    for (const pidFile of ['slurmd.pid', 'slurmctld.pid', join('munge', 'munged.pid')]) {
      const pid = Number((await readFile(join(dir, pidFile), 'utf8').catch(() => '')).trim())
      if (pid > 0) await stopProcess(pid)
    }
  }

  try {
    await run('slurmctld', ['-f', conf, '-i'], {env: {...process.env, ...env}})
    await run('slurmd', ['-f', conf, '-N', 'jslnode'], {env: {...process.env, ...env}})
    const started = Date.now()
    while (!(await client('sinfo', ['-h', '-o', '%T']).catch(() => '')).includes('idle')) {
      if (Date.now() - started > 30_000) throw new Error(`the local Slurm node did not become idle in 30 s; see ${join(dir, 'log')}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  } catch (error) {
    await stop()
    throw error
  }

  return {env, client, stop}
}

/** Sends SIGTERM to one process and waits (up to 10 s, then SIGKILL) until it is gone. */
export async function stopProcess(pid: number): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0)
    } catch {
      return false // ESRCH: gone
    }

    // A daemon's zombie (its new parent has not reaped it yet) is gone as far as a test cares.
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    } catch {
      return false // reaped meanwhile
    }
  }

  if (!alive()) return
  process.kill(pid, 'SIGTERM')
  const started = Date.now()
  while (alive() && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 100))
  if (alive()) process.kill(pid, 'SIGKILL')
}
