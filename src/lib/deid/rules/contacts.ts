import {isIPv6} from 'node:net'

import {matchesOf, type RuleMatch} from './types.js'

// North American numbers: (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567, +1 555 123 4567, extensions.
const PHONE = /(?<![\w+])(?:\+?1[-.\s]?)?(?:\(\d{3}\)\s?|\d{3}[-.\s])\d{3}[-.\s]\d{4}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w-])/gi
// International numbers written with a leading + and groups: +44 20 7946 0958, +49-30-1234567.
const INTERNATIONAL_PHONE = /(?<![\w+])\+(?:[2-9]\d{0,2})(?:[-.\s]\d{1,4}){2,5}(?![\w-])/g
// Ten digits in a row count only after a phone cue (a bare 10-digit number may be any id).
const CUED_DIGITS = /\b(?:phone|tel|telephone|cell|mobile|pager|fax|contact|call)\b[\s.:#-]*(?:number|no\.?)?[\s.:#-]*(\d{10})\b/gi
const FAX_CUE = /\bfax\b/i
const PHONE_CUE = /\b(?:phone|tel|telephone|cell|mobile|pager|call)\b/i
const EMAIL = /\b[\w.%+-]+@[A-Za-z\d-]+(?:\.[A-Za-z\d-]+)*\.[A-Za-z]{2,}\b/g
const URL = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi
const IPV4 = /(?<![\d.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\d.]*\d)/g
const IPV6_CANDIDATE = /(?<![\w:])[\dA-Fa-f]{0,4}(?::[\dA-Fa-f]{0,4}){2,7}(?![\w:])/g

/**
 * Phone and fax numbers. A number is a fax when the nearest cue before it on its line is "fax" (`Fax: 555-…`,
 * `phone 555-… fax 555-…`).
 */
export function findPhones(text: string): RuleMatch[] {
  const found = [...matchesOf(text, PHONE, 'phone'), ...matchesOf(text, INTERNATIONAL_PHONE, 'phone'), ...matchesOf(text, CUED_DIGITS, 'phone')]
  for (const match of found) {
    const lineStart = text.lastIndexOf('\n', match.start - 1) + 1
    const before = text.slice(Math.max(lineStart, match.start - 40), match.start)
    const fax = lastIndex(before, FAX_CUE)
    if (fax >= 0 && fax > lastIndex(before, PHONE_CUE)) match.category = 'fax'
  }

  return found
}

/** Email addresses. */
export function findEmails(text: string): RuleMatch[] {
  return matchesOf(text, EMAIL, 'email')
}

/** URLs starting with http://, https:// or www., without the sentence punctuation that may follow them. */
export function findUrls(text: string): RuleMatch[] {
  return matchesOf(text, URL, 'url').map((match) => {
    let {end} = match
    while (end > match.start && /[.,;:!?)\]]/.test(text[end - 1])) end--
    return {...match, end}
  })
}

/** IPv4 and IPv6 addresses (IPv6 checked by node:net, so that times such as 10:30:45 are not addresses). */
export function findIpAddresses(text: string): RuleMatch[] {
  const v6 = matchesOf(text, IPV6_CANDIDATE, 'ip').filter((match) => {
    const value = text.slice(match.start, match.end)
    return /[A-Fa-f]|::/.test(value) && isIPv6(value)
  })
  return [...matchesOf(text, IPV4, 'ip'), ...v6]
}

function lastIndex(text: string, pattern: RegExp): number {
  const global = new RegExp(pattern.source, 'gi')
  let index = -1
  for (const match of text.matchAll(global)) index = match.index
  return index
}
