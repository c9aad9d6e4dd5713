import {matchesOf, type RuleMatch} from './types.js'

const STATE_CODES =
  'AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI'
const STATE_NAMES =
  'Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming|Puerto Rico'
// The USPS street suffixes (Publication 28, appendix C1), common forms and abbreviations.
const SUFFIXES =
  'Alley|Aly|Annex|Anx|Arcade|Arc|Avenue|Ave|Av|Bayou|Byu|Beach|Bch|Bend|Bnd|Bluffs?|Blfs?|Bottom|Btm|Boulevard|Blvd|Branch|Br|Bridge|Brg|Brook|Brk|Brooks|Burgs?|Bypass|Byp|Camp|Cp|Canyon|Cyn|Cape|Cpe|Causeway|Cswy|Centers?|Ctr|Circles?|Cir|Cliffs?|Clfs?|Club|Clb|Common|Cmn|Corners?|Cor|Course|Crse|Courts?|Ct|Coves?|Cv|Creek|Crk|Crescent|Cres|Crest|Crst|Crossing|Xing|Crossroad|Curve|Curv|Dale|Dl|Dam|Dm|Divide|Dv|Drives?|Dr|Estates?|Est|Expressway|Expy|Extensions?|Ext|Falls?|Fls|Ferry|Fry|Fields?|Flds?|Flats?|Flt|Fords?|Frd|Forest|Frst|Forges?|Frg|Forks?|Frk|Fort|Ft|Freeway|Fwy|Gardens?|Gdns?|Gateway|Gtwy|Glens?|Gln|Greens?|Grn|Groves?|Grv|Harbors?|Hbr|Haven|Hvn|Heights|Hts|Highway|Hwy|Hills?|Hl|Hollow|Holw|Inlet|Inlt|Islands?|Is|Isle|Junctions?|Jct|Keys?|Ky|Knolls?|Knl|Lakes?|Lk|Land|Landing|Lndg|Lane|Ln|Light|Lgt|Lights|Loaf|Lf|Locks?|Lck|Lodge|Ldg|Loop|Mall|Manors?|Mnr|Meadows?|Mdws?|Mews|Mills?|Ml|Mission|Msn|Motorway|Mtwy|Mount|Mt|Mountains?|Mtn|Neck|Nck|Orchard|Orch|Oval|Overpass|Opas|Park|Parks|Parkways?|Pkwy|Pass|Passage|Psge|Path|Pike|Pines?|Pne|Place|Pl|Plains?|Pln|Plaza|Plz|Points?|Pt|Ports?|Prt|Prairie|Pr|Radial|Radl|Ramp|Ranch|Rnch|Rapids?|Rpd|Rest|Rst|Ridges?|Rdg|River|Riv|Roads?|Rd|Route|Rte|Row|Rue|Run|Shoals?|Shl|Shores?|Shr|Skyway|Skwy|Springs?|Spg|Spur|Squares?|Sq|Station|Sta|Stravenue|Stra|Stream|Strm|Streets?|St|Summit|Smt|Terrace|Ter|Throughway|Trwy|Trace|Trce|Track|Trak|Trafficway|Trfy|Trail|Trl|Trailer|Trlr|Tunnel|Tunl|Turnpike|Tpke|Underpass|Upas|Unions?|Un|Valleys?|Vly|Viaducts?|Via|Views?|Vw|Villages?|Vlg|Ville|Vl|Vista|Vis|Walks?|Wall|Way|Ways|Wells?|Wl'

// 123 Main Street, 4 Oak Ave., 77 North Elm Rd Apt 5 (a number, one to four capitalised words, a USPS suffix).
const STREET = new RegExp(
  String.raw`\b\d{1,6}[A-Za-z]?\s+(?:(?:[NSEW]\.?|North|South|East|West)\s+)?(?:[A-Z\d][\w'-]*\.?\s+){1,4}(?:${SUFFIXES})\b\.?(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*[\w-]+)?`,
  'g',
)
// After an address cue, a house number and the capitalised words that follow are an address whatever the suffix
// (`Address: 726 Manor Close`, `lives at 9008 The Oaks`).
const CUED_STREET = /\b(?:[Aa]ddress|ADDRESS|(?:[Ll]ives?|[Ll]iving|[Rr]esides?|[Rr]esiding) at)\b[ \t]*:?[ \t]*(\d{1,6}[A-Za-z]?(?: [A-Z\d][\w'.-]*){1,5})/g
// Boston, MA 02115 / Springfield, Illinois 62701: the city is a place, the ZIP a ZIP code.
const CITY_STATE_ZIP = new RegExp(String.raw`\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2}),\s+(?:${STATE_CODES}|${STATE_NAMES})\.?,?\s+(\d{5}(?:-\d{4})?)\b`, 'g')
const ZIP_AFTER_STATE = new RegExp(String.raw`\b(?:${STATE_CODES}|${STATE_NAMES})\.?,?\s+(\d{5}(?:-\d{4})?)\b`, 'g')
const ZIP_CUE = /\b(?:zip|zip\s+code|postal\s+code|zipcode)\b\s*(?:is\s+)?[:#]?\s*(\d{5}(?:-\d{4})?)\b/gi

// 92-year-old, 95 yo, 101 y/o, aged 93, age: 97 — only ages over 89 are identifiers under Safe Harbor.
const AGE_BEFORE_UNIT = /\b(9\d|1[0-2]\d)(?=[\s-]*(?:years?|yrs?|yo|y\/o|y\.o\.)(?![a-z]))/gi
const AGE_AFTER_CUE = /\b(?:age|aged)\b\s*(?:of\s+|is\s+)?[:=]?\s*(9\d|1[0-2]\d)\b/gi

/** Street addresses (with the apartment or suite when it follows). */
export function findAddresses(text: string): RuleMatch[] {
  return [...matchesOf(text, STREET, 'address'), ...matchesOf(text, CUED_STREET, 'address')]
}

/** ZIP codes after a state, in `City, ST 12345`, or after a ZIP cue; and the city of `City, ST 12345` (a place). */
export function findZipsAndCities(text: string): RuleMatch[] {
  const found = [...matchesOf(text, ZIP_AFTER_STATE, 'zip'), ...matchesOf(text, ZIP_CUE, 'zip')]
  for (const match of text.matchAll(CITY_STATE_ZIP)) found.push({category: 'location', start: match.index, end: match.index + match[1].length})
  return found
}

/** Ages over 89 (the number only: `[AGE]-year-old`). */
export function findAges(text: string): RuleMatch[] {
  return [...matchesOf(text, AGE_BEFORE_UNIT, 'age'), ...matchesOf(text, AGE_AFTER_CUE, 'age')]
}
