import {createInterface} from 'node:readline'

import chalk from 'chalk'

import {toAppError} from '../errors/index.js'
import type {ChatSession} from '../use-cases/index.js'
import type {Logger} from './logger.js'

/** Options of {@link runChatRepl}. */
export interface ChatReplOptions {
  session: ChatSession
  /** The terminal: stdin and stdout. */
  input: NodeJS.ReadableStream
  output: NodeJS.WritableStream
  logger: Logger
}

/**
 * The interactive loop of `jsl-med chat`: a prompt, the answer streamed as it is generated (with its sources under
 * `--index`), `/reset` to forget the history, `/exit` or Ctrl-D to leave. Ctrl-C stops the answer being generated,
 * or leaves at the prompt. A failed turn is reported and the session goes on. Nothing is written to disk.
 */
export async function runChatRepl({session, input, output, logger}: ChatReplOptions): Promise<{turns: number}> {
  const rl = createInterface({input, output, terminal: true, prompt: '> ', historySize: 0})
  let generating: AbortController | undefined
  let closed = false
  rl.on('SIGINT', () => {
    if (generating) generating.abort()
    else rl.close()
  })
  rl.on('close', () => (closed = true))
  output.write(chalk.dim('jsl-med chat: /reset forgets the conversation, /exit leaves. Nothing is saved.\n'))
  let turns = 0
  rl.prompt()
  for await (const line of rl) {
    const message = line.trim()
    if (message === '/exit' || message === '/quit') break
    if (message === '/reset') {
      session.reset()
      output.write(chalk.dim('(the conversation is forgotten)\n'))
    } else if (message !== '') {
      generating = new AbortController()
      try {
        const reply = await session.send(message, {onText: (text) => output.write(text), signal: generating.signal})
        turns++
        output.write('\n')
        if (reply.forgotten > 0) output.write(chalk.dim(`(${reply.forgotten} earlier turns no longer fit the context and were left out)\n`))
        if (reply.sources.length > 0) output.write(chalk.dim(`sources: ${reply.sources.map((s, i) => `[${i + 1}] ${s.doc}#${s.chunk}`).join('  ')}\n`))
      } catch (error) {
        output.write('\n')
        if (generating.signal.aborted) output.write(chalk.dim('(stopped)\n'))
        else logger.error(`[${toAppError(error).code}] ${toAppError(error).message}`)
      } finally {
        generating = undefined
      }
    }

    // Lines typed ahead (or piped into a pty that then closes) are still answered in order after a close.
    if (!closed) rl.prompt()
  }

  rl.close()
  output.write(chalk.dim(`bye (${turns} ${turns === 1 ? 'turn' : 'turns'})\n`))
  return {turns}
}
