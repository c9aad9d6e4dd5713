import {describe, expect, it} from 'vitest'

import {createRuleDetector, isPhiCategory, parseIdPattern, resolvePhi} from '../../../src/lib/deid/index.js'
import {found, foundOf} from './helpers.js'

describe('phone and fax rules', () => {
  it.each([
    '(617) 555-0134',
    '617-555-0134',
    '617.555.0134',
    '617 555 0134',
    '+1 617 555 0134',
    '1-617-555-0134',
    '617-555-0134 ext. 22',
    '+44 20 7946 0958',
  ])('finds the phone number %j', async (phone) => {
    expect(await foundOf('phone', `Call ${phone} today.`)).toEqual([phone])
  })

  it('finds ten digits in a row only after a phone cue', async () => {
    expect(await foundOf('phone', 'Cell: 6175550134.')).toEqual(['6175550134'])
    expect(await foundOf('phone', 'Lot 6175550134.')).toEqual([])
  })

  it('tells a fax from a phone by the nearest cue before it', async () => {
    expect(await found('Phone 617-555-0134, fax 617-555-0199')).toEqual([
      ['phone', '617-555-0134'],
      ['fax', '617-555-0199'],
    ])
    expect(await found('Fax: (617) 555-0199')).toEqual([['fax', '(617) 555-0199']])
  })
})

describe('email, URL and IP rules', () => {
  it('finds emails and URLs without trailing punctuation', async () => {
    expect(await found('Write to ana.lopez+1@mail.example.org, or see https://portal.example.org/a?b=1. Or www.example.com.')).toEqual([
      ['email', 'ana.lopez+1@mail.example.org'],
      ['url', 'https://portal.example.org/a?b=1'],
      ['url', 'www.example.com'],
    ])
  })

  it('finds IPv4 and IPv6 addresses, not times or versions with a bad octet', async () => {
    expect(await foundOf('ip', 'From 10.0.0.12 and 2001:db8::8a2e:370:7334.')).toEqual(['10.0.0.12', '2001:db8::8a2e:370:7334'])
    expect(await foundOf('ip', 'At 10:30:45, v1.2.3, 300.1.1.1')).toEqual([])
  })
})

describe('identifier rules', () => {
  it.each([
    ['ssn', 'SSN 123-45-6789.', '123-45-6789'],
    ['ssn', 'Social security number: 123456789', '123456789'],
    ['mrn', 'MRN: QX7734921', 'QX7734921'],
    ['mrn', 'Medical record number 00123456', '00123456'],
    ['mrn', 'MRN #7734921', '7734921'],
    ['health_plan', 'Member ID: W123456789', 'W123456789'],
    ['health_plan', 'Medicare number 1EG4-TE5-MK73', '1EG4-TE5-MK73'],
    ['account', 'Acct # 55-20391', '55-20391'],
    ['license', "Driver's license D1234567", 'D1234567'],
    ['license', 'DEA number AB1234563', 'AB1234563'],
    ['vehicle', 'License plate 7ABC123', '7ABC123'],
    ['vehicle', 'VIN 1HGCM82633A004352', '1HGCM82633A004352'],
    ['device', 'Pacemaker serial number PM-88231X', 'PM-88231X'],
    ['id', 'Accession 22-SP-10923', '22-SP-10923'],
  ] as const)('finds the %s in %j', async (category, text, value) => {
    expect(await found(text)).toEqual([[category, value]])
  })

  it('needs a digit in a cued value, so words after a cue are not ids', async () => {
    expect(await found('Member of the family. Account for the delay.')).toEqual([])
  })

  it('takes user patterns, group 1 as the identifier', async () => {
    const patterns = [parseIdPattern(String.raw`mrn=\bQQ-(\d{5})\b`, isPhiCategory), parseIdPattern(String.raw`device=\bPUMP-\d{4}\b`, isPhiCategory)]
    const detect = await createRuleDetector({idPatterns: patterns})
    const text = 'Band QQ-12345, pump PUMP-0042.'
    expect(resolvePhi(text, detect(text)).map((span) => [span.category, text.slice(span.start, span.end)])).toEqual([
      ['mrn', '12345'],
      ['device', 'PUMP-0042'],
    ])
  })

  it('refuses a pattern with an unknown category or a bad regex', () => {
    expect(() => parseIdPattern('ward=\\d+', isPhiCategory)).toThrow(/known category/)
    expect(() => parseIdPattern('mrn=(', isPhiCategory)).toThrow(/does not compile/)
    expect(() => parseIdPattern('no-equals', isPhiCategory)).toThrow(RangeError)
  })
})
