import {describe, expect, it} from 'vitest'

import {found, foundOf} from './helpers.js'

describe('cued name rules', () => {
  it.each([
    ['Patient: Zebulon Quixtar', 'Zebulon Quixtar'],
    ['Name: Ana', 'Ana'],
    ['Patient name: Ana María Lopez', 'Ana María Lopez'],
    ['Attending: R. Patel', 'R. Patel'],
    ['Seen by Dr. Smith today.', 'Smith'],
    ['Mrs. Ana Lopez is here.', 'Ana Lopez'],
    ["Name: Sean O'Brien-Kelly", "Sean O'Brien-Kelly"],
    ['Patient: Lopez, Ana', 'Lopez, Ana'],
    ['Signed by: ROBERT KING MD', 'ROBERT KING'],
  ])('finds the name in %j', async (text, name) => {
    expect(await foundOf('name', text)).toEqual([name])
  })

  it('takes no sentence after a speaker label for a name', async () => {
    expect(await foundOf('name', 'Doctor: Any fever?\nPatient: No fever, but a cough.\nPatient: Okay Doctor.')).toEqual([])
  })

  it('stops a name at a line break, an abbreviation or a lower-case word', async () => {
    expect(await foundOf('name', 'Name: Ana Lopez\nDOB: 1/2/1950')).toEqual(['Ana Lopez'])
    expect(await foundOf('name', 'Name: Ana Lopez DOB 1/2/1950')).toEqual(['Ana Lopez'])
    expect(await foundOf('name', 'Dr. Smith reviewed')).toEqual(['Smith'])
  })

  it('finds the other mentions of a name, in any case and in parts', async () => {
    expect(await found('Patient: Ana Lopez. Later ana said Lopez was fine.')).toEqual([
      ['name', 'Ana Lopez'],
      ['name', 'ana'],
      ['name', 'Lopez'],
    ])
  })
})

describe('place and age rules', () => {
  it('finds street addresses, the city and ZIP of City, ST 12345', async () => {
    expect(await found('Lives at 42 Elm Street, Apt 3, Boston, MA 02115.')).toEqual([
      ['address', '42 Elm Street, Apt 3'],
      ['location', 'Boston'],
      ['zip', '02115'],
    ])
    expect(await foundOf('address', 'Moved to 8187 Lemke Ports last year; 7 N. Oak Ave.')).toEqual(['8187 Lemke Ports', '7 N. Oak Ave.'])
  })

  it('finds ZIP codes after a state or a cue only', async () => {
    expect(await foundOf('zip', 'Zip code: 02115-1234. Texas 75001. Gave 10000 units.')).toEqual(['02115-1234', '75001'])
  })

  it('finds ages over 89 only, the number alone', async () => {
    expect(await found('A 92-year-old, a 95 yo and a 101 y/o; aged 93; age: 97.')).toEqual([
      ['age', '92'],
      ['age', '95'],
      ['age', '101'],
      ['age', '93'],
      ['age', '97'],
    ])
    expect(await foundOf('age', 'A 89-year-old and a 45 yo.')).toEqual([])
  })
})
