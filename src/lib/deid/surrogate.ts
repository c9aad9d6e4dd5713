import type {Faker} from '@faker-js/faker'

import type {PhiCategory} from './categories.js'

/** Loads faker's English locale only (the whole package with every locale is far larger), on first use. */
export async function loadFaker(): Promise<Faker> {
  const {faker} = await import('@faker-js/faker/locale/en')
  return faker
}

/**
 * A realistic stand-in for `original`, drawn from faker seeded with `seed` (so the same seed gives the same
 * surrogate). Names keep their number of words and their case: each word is seeded on its own with `wordSeed` and
 * drawn as a given name when `isGivenName(word, first, words)` says so (first: it opens a name of `words` words), else
 * as a surname, so that `Lopez` alone gets the same surrogate as in `Ana Lopez`; numbers and codes keep their layout (digits become
 * digits, letters letters of the same case, separators stay); ages over 89 become 90 (Safe Harbor's "90 or older").
 * Returns undefined for categories with no realistic stand-in (biometric, photo): the caller masks them. Dates are
 * not drawn here but shifted (see `shiftDate`).
 */
export function drawSurrogate(
  faker: Faker,
  category: PhiCategory,
  original: string,
  seed: number,
  wordSeed: (word: string) => number,
  isGivenName: (word: string, first: boolean, words: number) => boolean = (_word, first, words) => first && words > 1,
): string | undefined {
  faker.seed(seed)
  switch (category) {
    case 'name': {
      const words = original.match(NAME_WORD)?.length ?? 0
      return original.replaceAll(NAME_WORD, (word, offset: number) => {
        faker.seed(wordSeed(word))
        if (word.length === 1) return faker.string.alpha({length: 1, casing: 'upper'})
        const first = original.slice(0, offset).match(NAME_WORD) === null
        return matchCase(isGivenName(word, first, words) ? faker.person.firstName() : faker.person.lastName(), word)
      })
    }

    case 'location': {
      return matchCase(faker.location.city(), original)
    }

    case 'organization': {
      return matchCase(`${faker.person.lastName()} ${/clinic/i.test(original) ? 'Clinic' : /hospital|medical|health/i.test(original) ? 'Hospital' : 'Medical Group'}`, original)
    }

    case 'address': {
      return faker.location.streetAddress()
    }

    case 'email': {
      return faker.internet.email().toLowerCase()
    }

    case 'url': {
      return /^www\./i.test(original) ? `www.${faker.internet.domainName()}` : faker.internet.url()
    }

    case 'ip': {
      return original.includes(':') ? faker.internet.ipv6() : faker.internet.ipv4()
    }

    case 'age': {
      return '90'
    }

    case 'biometric':
    case 'photo':
    case 'date': {
      return undefined
    }

    default: {
      // Phones, ZIPs, SSNs and record, plan, account, licence, vehicle and device numbers: the same layout.
      return original.replaceAll(/[\dA-Za-z]/g, (char) => {
        if (/\d/.test(char)) return String(faker.number.int(9))
        return faker.string.alpha({length: 1, casing: char === char.toUpperCase() ? 'upper' : 'lower'})
      })
    }
  }
}

const NAME_WORD = /[\p{L}][\p{L}'’-]*/gu

function matchCase(word: string, original: string): string {
  const letters = original.replaceAll(/[^\p{L}]/gu, '')
  if (letters.length > 1 && letters === letters.toUpperCase()) return word.toUpperCase()
  if (letters.length > 0 && letters === letters.toLowerCase()) return word.toLowerCase()
  return word
}
