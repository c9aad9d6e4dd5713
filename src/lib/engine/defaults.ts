// Engine defaults shared by the text, vision and bench engines.

/** The largest context a model gets when none is asked for: its own training context, capped here. */
export const DEFAULT_MAX_CONTEXT = 4096

/** How long a generation may go without a token before it fails as stalled (E_STALLED). Generous: a slow machine is not stuck. */
export const DEFAULT_TOKEN_TIMEOUT_MS = 120_000

/** Extra time the first token may take per prompt token (the prompt is evaluated first), on top of the timeout. */
export const FIRST_TOKEN_MS_PER_PROMPT_TOKEN = 50

/** After a stalled generation is aborted, how long to wait for llama.cpp to return before giving up on its sequence. */
export const STALL_ABORT_GRACE_MS = 5000
