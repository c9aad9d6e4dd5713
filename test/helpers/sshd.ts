import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {freePort, stopProcess} from './slurm.js'

const run = promisify(execFile)

/** An sshd on 127.0.0.1 that lets root in with one generated key, and the ssh command that reaches it. */
export interface LocalSshd {
  /** The login for `parallel --sshlogin` (`root@127.0.0.1`). */
  login: string
  /** The ssh command with its key, port and options, for `parallel --ssh`. */
  ssh: string
  stop(): Promise<void>
}

/**
 * Starts OpenSSH's sshd in the foreground on a free port, with a generated host key and a generated user key
 * (key login only, no PAM), and waits until a command runs through it.
 */
export async function startLocalSshd(dir: string): Promise<LocalSshd> {
  await mkdir(dir, {recursive: true})
  await mkdir('/run/sshd', {recursive: true}) // sshd's privilege-separation directory
  for (const key of ['host_key', 'user_key']) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, key)])
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'user_key.pub')))
  const port = await freePort()
  const config = join(dir, 'sshd_config')
  await writeFile(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // The test's temporary directories sit under a world-writable /tmp.
    'StrictModes no',
    'UsePAM no',
    '',
  ].join('\n'))
  const daemon: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], {stdio: ['ignore', 'ignore', 'pipe']})
  let log = ''
  daemon.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log += chunk))
  const ssh = `ssh -i ${join(dir, 'user_key')} -p ${port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR`
  const login = 'root@127.0.0.1'
  const stop = async (): Promise<void> => {
    if (daemon.pid !== undefined && daemon.exitCode === null) await stopProcess(daemon.pid)
  }

  const started = Date.now()
  for (;;) {
    try {
      await run('sh', ['-c', `${ssh} ${login} true`])
      break
    } catch (error) {
      if (Date.now() - started > 15_000 || daemon.exitCode !== null) {
        await stop()
        throw new Error(`sshd did not let the test in: ${(error as Error).message}\n${log}`)
      }

      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }

  return {login, ssh, stop}
}
