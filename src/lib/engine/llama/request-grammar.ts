import type {GbnfJsonSchema, LlamaGrammar} from 'node-llama-cpp'

import {checkJsonSchema, jsonSchemaToGbnf, validateJsonValue} from '../json-schema/index.js'
import type {ChatRequest} from '../types.js'

/** A request's grammar and how its output becomes a value (throws when the output is not valid). */
export interface RequestGrammar {
  grammar: LlamaGrammar
  parse: (text: string) => unknown
}

/** node-llama-cpp's two ways to a grammar: from a JSON schema (with its own parser), and from GBNF text. */
export interface GrammarFactory {
  fromSchema: (schema: GbnfJsonSchema) => Promise<LlamaGrammar & {parse(json: string): unknown}>
  fromGbnf: (gbnf: string) => Promise<LlamaGrammar>
}

/**
 * The grammar of a request: its own GBNF, else the compact-JSON grammar of {@link jsonSchemaToGbnf} when it
 * enforces the schema exactly, else node-llama-cpp's grammar for the schema. The compact one allows no whitespace
 * between tokens, so llama.cpp's grammar sampler tracks fewer alternatives at every token: on a 32k vocabulary,
 * ner records took 20% longer with node-llama-cpp's (which allows newlines and indentation everywhere).
 */
export async function compileRequestGrammar(request: Pick<ChatRequest, 'grammar' | 'schema'>, factory: GrammarFactory): Promise<RequestGrammar> {
  const {schema} = request
  const gbnf = requestGbnf(request)
  if (gbnf !== undefined) return {grammar: await factory.fromGbnf(gbnf), parse: (text) => parseAndValidate(text, schema)}
  const json = await factory.fromSchema(schema as GbnfJsonSchema)
  return {grammar: json, parse: (text) => json.parse(text)}
}

/**
 * The GBNF text a request is constrained with (see {@link compileRequestGrammar}): its own, else the compact one of
 * {@link jsonSchemaToGbnf}; undefined when node-llama-cpp's grammar for the schema is used instead (or there is none).
 */
export function requestGbnf(request: Pick<ChatRequest, 'grammar' | 'schema'>): string | undefined {
  const {schema} = request
  return request.grammar ?? (schema && checkJsonSchema(schema).length === 0 ? jsonSchemaToGbnf(schema) : undefined)
}

/** Parses output of a GBNF grammar as JSON and checks it against the request's schema (the grammar alone may be looser). */
function parseAndValidate(text: string, schema: ChatRequest['schema']): unknown {
  const value: unknown = JSON.parse(text)
  const problems = schema ? validateJsonValue(value, schema) : []
  // The problems name JSON paths, never values, so the message holds no record text.
  if (problems.length > 0) throw new Error(`the output is not valid against the schema: ${problems.slice(0, 3).join('; ')}`)
  return value
}
