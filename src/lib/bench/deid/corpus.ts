import type {Faker} from '@faker-js/faker'

import type {PhiCategory} from '../../deid/index.js'
import type {LabeledSpan} from '../ner.js'

/** A generated document: PHI-free text with templated identifiers inserted, and where each one is. */
export interface DeidDocument {
  text: string
  /** The inserted identifiers: `text.slice(start, end)`, labelled with their category. */
  gold: LabeledSpan[]
}

type Part = string | {category: PhiCategory; value: string}
type Template = (f: Faker) => Part[]

const pick = <T>(f: Faker, items: readonly T[]): T => items[f.number.int(items.length - 1)]
const digits = (f: Faker, count: number): string => f.string.numeric({length: count, allowLeadingZeros: true})
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const ordinal = (day: number): string => `${day}${day % 10 === 1 && day !== 11 ? 'st' : day % 10 === 2 && day !== 12 ? 'nd' : day % 10 === 3 && day !== 13 ? 'rd' : 'th'}`
const pad = (value: number): string => String(value).padStart(2, '0')

/** A date in one of the formats clinical text uses: 3/4/21, 03/04/2021, 2021-03-04, 04-Mar-2021, March 4th, …. */
function dateValue(f: Faker): string {
  const date = f.date.between({from: '1935-01-01T00:00:00Z', to: '2025-12-31T00:00:00Z'})
  const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()]
  const month = MONTHS[m - 1]
  return pick(f, [
    `${m}/${d}/${String(y).slice(2)}`,
    `${pad(m)}/${pad(d)}/${y}`,
    `${y}-${pad(m)}-${pad(d)}`,
    `${pad(d)}-${month.slice(0, 3)}-${y}`,
    `${month} ${ordinal(d)}`,
    `${month.length > 3 ? `${month.slice(0, 3)}.` : month} ${d}, ${y}`,
    `${d} ${month} ${y}`,
    `${month} ${d}, ${y}`,
  ])
}

function phoneValue(f: Faker): string {
  const [a, b, c] = [digits(f, 3).replace(/^[01]/, '5'), digits(f, 3), digits(f, 4)]
  return pick(f, [`(${a}) ${b}-${c}`, `${a}-${b}-${c}`, `${a}.${b}.${c}`, `+1 ${a} ${b} ${c}`, `1-${a}-${b}-${c}`])
}

const v = (category: PhiCategory, value: string): Part => ({category, value})

/** Sentences that carry one or more identifiers, per category (names, places and organisations with and without a cue). */
export const TEMPLATES: Record<string, Template[]> = {
  date: [(f) => ['Last seen on ', v('date', dateValue(f)), ' for the same problem.'], (f) => ['Date of birth ', v('date', dateValue(f)), '.'], (f) => ['The surgery was done ', v('date', dateValue(f)), '.']],
  age: [(f) => ['She is ', v('age', String(f.number.int({min: 90, max: 104}))), ' years old.'], (f) => ['A ', v('age', String(f.number.int({min: 90, max: 104}))), '-year-old man.']],
  phone: [(f) => ['You can call me at ', v('phone', phoneValue(f)), '.'], (f) => ['Phone: ', v('phone', phoneValue(f))], (f) => ['My cell phone is ', v('phone', phoneValue(f)), ' anytime.']],
  fax: [(f) => ['Please fax the report to ', v('fax', phoneValue(f)), '.'], (f) => ['Fax: ', v('fax', phoneValue(f))]],
  email: [(f) => ['Email me at ', v('email', f.internet.email()), ' please.']],
  ssn: [(f) => ['SSN ', v('ssn', `${digits(f, 3)}-${digits(f, 2)}-${digits(f, 4)}`), ' on file.'], (f) => ['Social security number: ', v('ssn', `${digits(f, 3)}-${digits(f, 2)}-${digits(f, 4)}`)]],
  mrn: [(f) => ['MRN: ', v('mrn', digits(f, 8))], (f) => ['Medical record number ', v('mrn', `${f.string.alpha({length: 2, casing: 'upper'})}${digits(f, 7)}`), '.'], (f) => ['MRN #', v('mrn', digits(f, 7))]],
  health_plan: [(f) => ['Member ID ', v('health_plan', `${f.string.alpha({length: 1, casing: 'upper'})}${digits(f, 9)}`), '.'], (f) => ['Policy number: ', v('health_plan', digits(f, 10))]],
  account: [(f) => ['Account number ', v('account', `${digits(f, 2)}-${digits(f, 6)}`), '.'], (f) => ['Acct # ', v('account', digits(f, 9))]],
  license: [(f) => ["Driver's license ", v('license', `${f.string.alpha({length: 1, casing: 'upper'})}${digits(f, 7)}`), '.'], (f) => ['DEA number ', v('license', `${f.string.alpha({length: 2, casing: 'upper'})}${digits(f, 7)}`)]],
  vehicle: [(f) => ['License plate ', v('vehicle', `${digits(f, 1)}${f.string.alpha({length: 3, casing: 'upper'})}${digits(f, 3)}`), '.'], (f) => ['VIN ', v('vehicle', f.vehicle.vin()), '.']],
  device: [(f) => ['Pacemaker serial number ', v('device', `SN-${digits(f, 6)}`), '.'], (f) => ['Device ID: ', v('device', `${f.string.alpha({length: 3, casing: 'upper'})}${digits(f, 8)}`)]],
  url: [(f) => ['See ', v('url', f.internet.url()), ' for the forms.']],
  ip: [(f) => ['The portal login came from ', v('ip', f.internet.ipv4()), '.']],
  zip: [(f) => ['Zip code ', v('zip', f.location.zipCode('#####')), '.'], (f) => ['She lives in ', v('location', f.location.city()), ', ', f.location.state({abbreviated: true}), ' ', v('zip', f.location.zipCode('#####')), '.']],
  address: [(f) => ['I live at ', v('address', `${f.location.buildingNumber()} ${f.location.street()}`), ' now.'], (f) => ['Address: ', v('address', `${f.location.buildingNumber()} ${f.location.street()}`)]],
  name: [(f) => ['Patient: ', v('name', f.person.fullName({firstName: f.person.firstName(), lastName: f.person.lastName()}))], (f) => ['Seen with Dr. ', v('name', f.person.lastName()), '.'], (f) => [v('name', f.person.firstName()), ' came with her today.']],
  location: [(f) => ['She moved here from ', v('location', f.location.city()), ' last year.']],
  organization: [(f) => ['She was treated at ', v('organization', `${f.person.lastName()} Memorial Hospital`), '.']],
}

/** Options of {@link generateDeidCorpus}. */
export interface DeidCorpusOptions {
  /** Seed of the corpus; default 1 (the same seed and texts give the same corpus). */
  seed?: number
  /** Identifiers inserted per document; default 8. */
  perDocument?: number
}

/**
 * Generates the `bench --tasks deid` corpus: each PHI-free text (e.g. a dialogue) gets `perDocument` template
 * sentences inserted between its lines, cycling through the categories so that each one is inserted about as often.
 * Gold spans are where the inserted identifiers are. The texts' own identifiers, if any, are not gold.
 */
export function generateDeidCorpus(texts: readonly string[], faker: Faker, options: DeidCorpusOptions = {}): DeidDocument[] {
  faker.seed(options.seed ?? 1)
  const templates = Object.values(TEMPLATES)
  const perDocument = options.perDocument ?? 8
  let next = 0
  return texts.map((base) => {
    const lines = base.split('\n')
    const inserts = new Map<number, Part[][]>()
    for (let i = 0; i < perDocument; i++) {
      const at = faker.number.int(lines.length)
      inserts.set(at, [...(inserts.get(at) ?? []), pick(faker, templates[next++ % templates.length])(faker)])
    }

    let text = ''
    const gold: LabeledSpan[] = []
    for (let line = 0; line <= lines.length; line++) {
      for (const parts of inserts.get(line) ?? []) {
        if (text !== '' && !text.endsWith('\n')) text += '\n'
        for (const part of parts) {
          if (typeof part === 'string') {
            text += part
            continue
          }

          gold.push({start: text.length, end: text.length + part.value.length, label: part.category})
          text += part.value
        }

        text += '\n'
      }

      if (line < lines.length) text += lines[line] + (line < lines.length - 1 ? '\n' : '')
    }

    return {text, gold}
  })
}
