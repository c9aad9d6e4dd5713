// The answer normalization of MultiMedEval's VQA tasks (VQA-RAD, SLAKE, Path-VQA), reproduced from
// corentin-ryr/MultiMedEval multimedeval/utils.py (clean_str) and multimedeval/task_families.py (VQA._preprocess).

/** Characters removed outright when they touch a space (or the text has a digit-comma-digit), else turned into spaces. */
const PUNCTUATION = [';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!']
const ARTICLES = new Set(['a', 'an', 'the'])
const NUMBER_WORDS: Record<string, string> = {none: '0', zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10'}
/** MultiMedEval's contraction table (the VQA evaluation tool's), restricted to the keys a lowercased word can match. */
const CONTRACTIONS: Record<string, string> = Object.fromEntries(
  [
    "aint=ain't arent=aren't cant=can't couldve=could've couldnt=couldn't couldn'tve=couldn't've",
    "couldnt've=couldn't've didnt=didn't doesnt=doesn't dont=don't hadnt=hadn't hadnt've=hadn't've",
    "hadn'tve=hadn't've hasnt=hasn't havent=haven't hed=he'd hed've=he'd've he'dve=he'd've hes=he's howd=how'd",
    "howll=how'll hows=how's isnt=isn't itd=it'd itd've=it'd've it'dve=it'd've itll=it'll maam=ma'am",
    "mightnt=mightn't mightnt've=mightn't've mightn'tve=mightn't've mightve=might've mustnt=mustn't mustve=must've",
    "neednt=needn't notve=not've oclock=o'clock oughtnt=oughtn't ow's'at='ow's'at 'ows'at='ow's'at",
    "'ow'sat='ow's'at shant=shan't shed've=she'd've she'dve=she'd've shouldve=should've shouldnt=shouldn't",
    "shouldnt've=shouldn't've shouldn'tve=shouldn't've somebody'd=somebodyd somebodyd've=somebody'd've",
    "somebody'dve=somebody'd've somebodyll=somebody'll somebodys=somebody's someoned=someone'd",
    "someoned've=someone'd've someone'dve=someone'd've someonell=someone'll someones=someone's",
    "somethingd=something'd somethingd've=something'd've something'dve=something'd've somethingll=something'll",
    "thats=that's thered=there'd thered've=there'd've there'dve=there'd've therere=there're theres=there's",
    "theyd=they'd theyd've=they'd've they'dve=they'd've theyll=they'll theyre=they're theyve=they've twas='twas",
    "wasnt=wasn't wed've=we'd've we'dve=we'd've weve=we've werent=weren't whatll=what'll whatre=what're",
    "whats=what's whatve=what've whens=when's whered=where'd wheres=where's whereve=where've whod=who'd",
    "whod've=who'd've who'dve=who'd've wholl=who'll whos=who's whove=who've whyll=why'll whyre=why're whys=why's",
    "wont=won't wouldve=would've wouldnt=wouldn't wouldnt've=wouldn't've wouldn'tve=wouldn't've yall=y'all",
    "yall'll=y'all'll y'allll=y'all'll yall'd've=y'all'd've y'alld've=y'all'd've y'all'dve=y'all'd've youd=you'd",
    "youd've=you'd've you'dve=you'd've youll=you'll youre=you're youve=you've",
  ]
    .join(' ')
    .split(' ')
    .map((pair) => pair.split('=') as [string, string]),
)
/**
 * MultiMedEval passes `re.UNICODE` where `re.sub` takes its count, so at most this many periods are stripped; kept so
 * that long answers clean exactly as theirs do.
 */
const MAX_PERIODS_STRIPPED = 32

/**
 * Cleans a VQA answer (reference or prediction) as MultiMedEval does: lowercase; each punctuation mark removed or
 * turned into a space; periods not followed by a digit removed; number words one to ten (and none) as digits;
 * articles dropped; missing apostrophes put back (`dont` → `don't`); commas removed.
 */
export function cleanVqaAnswer(text: string): string {
  const lower = text.toLowerCase()
  const digitComma = /\d,\d/.test(lower)
  let cleaned = lower
  for (const mark of PUNCTUATION) {
    // The test reads the lowercased text, not the partly cleaned one, as MultiMedEval's loop does.
    const glued = lower.includes(mark + ' ') || lower.includes(' ' + mark) || digitComma
    cleaned = cleaned.replaceAll(mark, glued ? '' : ' ')
  }

  let periods = 0
  cleaned = cleaned.replaceAll(/\.(?!\d)/g, (period) => (periods++ < MAX_PERIODS_STRIPPED ? '' : period))
  const words = cleaned
    .split(/\s+/)
    .filter((word) => word !== '')
    .map((word) => NUMBER_WORDS[word] ?? word)
    .filter((word) => !ARTICLES.has(word))
    .map((word) => CONTRACTIONS[word] ?? word)
  return words.join(' ').replaceAll(',', '')
}

/** The distinct words of a cleaned answer: what MultiMedEval compares. */
export function vqaTokens(cleaned: string): Set<string> {
  return new Set(cleaned.split(/\s+/).filter((word) => word !== ''))
}
