// Engine defaults shared by the text, vision and bench engines.

/** The largest context a model gets when none is asked for: its own training context, capped here. */
export const DEFAULT_MAX_CONTEXT = 4096
