import {describe, expect, it} from 'vitest'

import {readDateValue, shiftDate} from '../../../src/lib/deid/index.js'
import {found, foundOf} from './helpers.js'

describe('date rules', () => {
  it.each([
    ['Seen 3/4/21 in clinic.', '3/4/21'],
    ['Follow-up on March 4th.', 'March 4th'],
    ['Admitted 2021-03-04 overnight.', '2021-03-04'],
    ['Discharged 04-Mar-2021.', '04-Mar-2021'],
    ['Surgery on Mar. 4, 2021 went well.', 'Mar. 4, 2021'],
    ['DOB: 02/14/1961', '02/14/1961'],
    ['Seen 25/12/2020 (day first).', '25/12/2020'],
    ['Labs 03.04.2021 normal.', '03.04.2021'],
    ['Born 4 March 2021.', '4 March 2021'],
    ['Gave birth in August 2008.', 'August 2008'],
    ['Returned the 2nd of May.', '2nd of May'],
    ['Seen on Dec 25 again.', 'Dec 25'],
    ['F/u 3/18 with PCP.', '3/18'],
    ['Seen 12/2, better.', '12/2'],
    ['Symptoms since 3/4.', '3/4'],
  ])('finds the date in %j', async (text, date) => {
    expect(await foundOf('date', text)).toEqual([date])
  })

  it.each([
    'Pain 5/10 today.',
    'BP 120/80, HR 72.',
    'Fell eight years ago.',
    'Seen today and again on Monday.',
    'Diagnosed in 1999.',
    'Take at 3:30 pm.',
    'Pain on a scale: 7/10 since Monday.',
    'Seen with BP 140/90.',
    'Improved from 13/20 to 15/20.',
  ])('finds no date in %j', async (text) => {
    expect(await foundOf('date', text)).toEqual([])
  })
})

describe('shiftDate', () => {
  it.each([
    ['3/4/21', 10, '3/14/21'],
    ['March 4th', 30, 'April 3rd'],
    ['2021-03-04', -4, '2021-02-28'],
    ['04-Mar-2021', 28, '01-Apr-2021'],
    ['Mar. 4, 2021', 1, 'Mar. 5, 2021'],
    ['12/25/2020 10:30', 10, '01/04/2021 10:30'],
    ['Monday, March 4, 2024', 1, 'Tuesday, March 5, 2024'],
    ['Sept 3', 30, 'Oct 3'],
    ['AUGUST 2008', 31, 'SEPTEMBER 2008'],
    ['02/28/2000', 1, '02/29/2000'],
  ])('shifts %j by %i days keeping the format: %j', (text, days, expected) => {
    expect(shiftDate(text, days)).toBe(expected)
  })

  it('gives undefined for a text it cannot read', () => {
    expect(shiftDate('soon', 3)).toBeUndefined()
    expect(shiftDate('13/13/2021', 3)).toBeUndefined()
  })

  it('keeps intervals between the dates it shifts', () => {
    const dates = ['3/4/21', '2021-03-20', 'April 1st, 2021', '01-May-2021']
    for (const days of [-365, -40, 1, 17, 365]) {
      const before = dates.map((date) => readDateValue(date)!)
      const after = dates.map((date) => readDateValue(shiftDate(date, days)!)!)
      for (const [i, value] of after.entries()) expect(value - after[0]).toBe(before[i] - before[0])
    }
  })

  it('leaves a time of day next to a date untouched', async () => {
    expect(await found('Given 12/25/2020 10:30 IV.')).toEqual([['date', '12/25/2020 10:30']])
  })
})
