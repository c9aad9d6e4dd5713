import type {RuleMatch} from './types.js'

// Capitalised words that start sentences and answers, and so are not names after a cue such as `Patient:`.
const NOT_NAMES = new Set(
  (
    'a about after again all also am an and any are as at be because been before being but by can could did do does doing done ' +
    'for from good had has have he hello her here hi him his how i if in is it its just let like me mild more most much my ' +
    'no none nope not now of off oh ok okay on once one only or other our out over please pt patient really reports right see she ' +
    'should so some sure thank thanks that the their them then there these they this those today to too uh um unknown up us very ' +
    'was we well were what when where which while who why will with would yeah yes yesterday you your denies states complains ' +
    'presents has is male female man woman mother father son daughter wife husband doctor nurse history none n/a na dr mr mrs ms ' +
    'dob mrn ssn age sex date dx hx cc hpi ros id md do rn np pa phd'
  ).split(' '),
)

// Titles: the name that follows is a name, one or two words (`Dr. Smith`, `Mrs. Ana Lopez`).
const TITLE = /\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Doctor|Nurse)\.?\s+/g
// Field labels: the words after `Name:`, `Patient name:`, `Attending:`, `Signed by:` are a name, one to three words.
const LABEL =
  /\b(?:name|patient\s+name|full\s+name|attending|attending\s+physician|physician|provider|pcp|referring(?:\s+physician)?|signed\s+by|electronically\s+signed\s+by|dictated\s+by|seen\s+by|cc|emergency\s+contact|next\s+of\s+kin|guardian|surgeon|resident)\s*:\s*/gi
// Speaker-like labels (`Patient:`, `Mother:`) also open dialogue turns: a name after them needs two words.
const SPEAKER = /\b(?:patient|pt|mother|father|wife|husband|daughter|son|spouse|contact)\s*:\s*/gi
// A name word: a capital, then letters, apostrophes or hyphens (María, O'Brien, Smith-Jones), an initial (J.), or capitals.
const WORD = /\p{Lu}(?:\p{Ll}+(?:['’-]\p{Lu}?\p{Ll}+)*|['’]\p{Lu}\p{Ll}+(?:-\p{Lu}?\p{Ll}+)*|\.)|\p{Lu}{2,}(?!\p{Ll})/uy

/** Whether a word is a common English or clinical word that is never taken for a name on its own. */
export function isCommonWord(word: string): boolean {
  return NOT_NAMES.has(word.toLowerCase())
}

/**
 * Names introduced by a clinical cue: a title (`Dr. Smith`), a field label (`Name: Ana Lopez`, `Attending: R. Patel`)
 * or a speaker label followed by two capitalised words (`Patient: Ana Lopez`). Words that commonly open a sentence
 * (`Patient: No fever`) are never names. Names without a cue are the model's part.
 */
export function findCuedNames(text: string): RuleMatch[] {
  return [...namesAfter(text, TITLE, 1, 2), ...namesAfter(text, LABEL, 1, 3), ...namesAfter(text, SPEAKER, 2, 3)]
}

function namesAfter(text: string, cue: RegExp, minWords: number, maxWords: number): RuleMatch[] {
  const found: RuleMatch[] = []
  for (const match of text.matchAll(cue)) {
    let at = match.index + match[0].length
    let end = at
    let words = 0
    let capitals = true
    while (words < maxWords) {
      WORD.lastIndex = at
      const word = WORD.exec(text)
      if (!word || NOT_NAMES.has(word[0].replace(/\.$/, '').toLowerCase())) break
      // A word in capitals continues a name only in capitals (`ANA LOPEZ`), not `Ana Lopez DOB`.
      const isCapitals = /^\p{Lu}{2,}$/u.test(word[0])
      if (words > 0 && isCapitals && !capitals) break
      capitals &&= isCapitals
      words++
      end = at + word[0].length
      // Words are joined by one space (or a comma and space: `Lopez, Ana`); a line break ends the name.
      const gap = /^(?:,? )/.exec(text.slice(end, end + 2))
      if (!gap) break
      at = end + gap[0].length
    }

    if (words >= minWords) found.push({category: 'name', start: match.index + match[0].length, end})
  }

  return found
}
