import {BaseCommand, benchFlags, runBenchCommand, type BenchResult} from '../lib/cli/index.js'

export type {BenchResult} from '../lib/cli/index.js'

export default class Bench extends BaseCommand {
  static override summary = 'Measure speed per quantization and medical accuracy on this machine.'

  static override description = `Speed: llama-bench's pp512 and tg128 (prompt processing and generation, tokens/s as mean ± sd over -r repetitions after a warm-up; random token ids, fixed counts, EOS cannot end a run), time to first token and peak RSS. Without --threads, the speed tests run at the threads the cores free just before each model loads allow, and when that is fewer than the cores, a probe tries pp at all of them (at the test's prompt length, up to 512 tokens); on a llama.cpp without OpenMP another compares generation at 1 thread, taken only when 25% faster (the record says how many and why). The repetitions run as rounds, and each record lists the 1-minute load average at the start of each round. --llama-bench PATH runs llama.cpp's own llama-bench (-r 1, same model and -p/-n/-t) at the start of every round, so both programs see the same load; the record then holds its figures and the ratio. --busy-cores N, a benchmarking aid, keeps N cores busy with child processes while measuring. --depth D1,D2 measures at context depths as llama-bench -d does: before each test the context is filled with D random tokens (untimed, once per round), then pp/tg run on top; each depth gets its own record, with the tests named pp512 @ dD and tg128 @ dD (depth 0 is the plain record).

Quality (--tasks quality): how much a quantization changes the model, as llama-perplexity's --kl-divergence measures it. Every --model (or each --quant of a --synthetic model) and the --reference (an F16 or Q8_0 GGUF of the same weights; for --synthetic, its q16 of the same random weights) are run by the same engine over the same tokens of a clinical text (default: a few built-in clinical notes written for jsl-med; --text FILE for your own, cut into 512-token windows), and their next-token distributions compared at every position: mean KL divergence KL(reference || model) in nats with a 95% interval (mean ± 1.96·sd/√N), and top-1 agreement (both models' most likely next token the same) with a 95% Wilson interval, plus N, the positions compared. The reference's logits wait in a temporary file, so two models are never in memory at once.

Accuracy (--tasks medqa,medmcqa,pubmedqa,mmlu-med): the lm-evaluation-harness multimedqa prompts; "loglik" scoring picks the choice with the highest log-likelihood (lm-eval "acc"), "generate" parses the answer from generated text. Each task gets N, correct, accuracy and a 95% Wilson interval; with more than one task a "medical" record micro-averages them. NER (--tasks ner = BC5CDR, ner-ncbi = NCBI-disease): precision, recall and F1, strict and overlap. VQA-RAD (--tasks vqa-rad, a vision model: --model plus --mmproj): MultiMedEval's protocol on the test split, the image then the question, with "Answer the following question with yes or no." before closed (yes/no) questions; cleaned answers compared as word sets: closed accuracy at recall ≥ 0.4 (a reference "no" also accepts "not") with a 95% Wilson interval, open mean recall and accuracy at recall ≥ 0.75, BLEU-1 and F1. Datasets come from --data-dir, a folder laid out like data/bench with the original file names: medqa_us4_test.jsonl, medmcqa_dev.jsonl, pubmedqa_test.json, mmlu/<subject>_test.csv, ner/*.pubtator.txt, clinical/*.csv, and vqa-rad/vqa_rad.json with the images in vqa-rad/images/ (questions whose image is missing are skipped and counted); ner/, clinical/ and vqa-rad/ are also found next to the folder. Without --data-dir, they are read from $JSL_MED_DATA_DIR/datasets, and a dataset with a public single-file source (MedQA, from the Hugging Face hub at HF_ENDPOINT) is downloaded there on first use, once: resumed after a lost connection, checked against the catalog's size and sha256 (a mismatch keeps nothing), with progress and the folder on stderr. --offline (or JSL_MED_OFFLINE=1) never downloads: a missing dataset exits 4. The other datasets are only published inside archives; bench says so and asks for --data-dir.

stdout gets one NDJSON line per (model, quant, task) with the hardware fingerprint, the model's sha256 and size, the node-llama-cpp and llama.cpp versions and the seed (schemas/bench-result.schema.json); a Markdown table follows on stderr. Every record is also appended to this machine's bench history, <data dir>/bench/<hardware key>.ndjson (JSL_MED_DATA_DIR; the key hashes the fingerprint's CPU, cores, CPU features, backend, GPUs, RAM, OS and binary kind, not the threads), whose newest figures \`jsl-med hw\` cites as "measured"; --no-store keeps a run out of it. --synthetic measures a random-weight model of a given shape without downloading anything (cached; every record says synthetic). --compare A B prints the deltas between two runs as NDJSON and exits 9 when a throughput, accuracy or F1 figure got worse by more than --threshold percent.`

  static override examples = [
    {description: 'Speed of a synthetic 0.5B model in Q4_0 and Q8_0, 3 repetitions', command: '<%= config.bin %> <%= command.id %> --synthetic 0.5b --quant q4,q8 -r 3'},
    {description: 'Against llama-bench in the same rounds, with one core kept busy', command: '<%= config.bin %> <%= command.id %> --synthetic 0.25b -r 3 --llama-bench /path/to/llama-bench --busy-cores 1'},
    {description: 'Speed of your own model, results appended to a history file', command: '<%= config.bin %> <%= command.id %> -m model.gguf >> bench.ndjson'},
    {description: 'An installed model, by the name every --model takes', command: '<%= config.bin %> <%= command.id %> -m qwen3-1.7b:q4 -r 3'},
    {description: 'Quantization damage: Q4_0 and Q8_0 of a synthetic model against its F16', command: '<%= config.bin %> <%= command.id %> --synthetic tiny --quant q4,q8 --tasks quality'},
    {description: 'Your quantization against its F16, over your own notes', command: '<%= config.bin %> <%= command.id %> -m model-Q4_K_M.gguf --reference model-F16.gguf --tasks quality --text notes.txt'},
    {description: 'Speed with an empty context and with 4096 tokens already in it (a long note)', command: '<%= config.bin %> <%= command.id %> -m model.gguf --depth 0,4096 -r 3'},
    {description: 'Medical accuracy on the first 20 questions of each task', command: '<%= config.bin %> <%= command.id %> -m model.gguf --tasks medqa,medmcqa,pubmedqa,mmlu-med --limit 20 --data-dir data/bench'},
    {description: 'MedQA, downloaded into the data directory on first use', command: '<%= config.bin %> <%= command.id %> -m model.gguf --tasks medqa --limit 50'},
    {description: 'VQA-RAD on a vision model and its projector', command: '<%= config.bin %> <%= command.id %> -m medgemma-4b-it-Q4_K_M.gguf --mmproj mmproj-medgemma-4b-it-F16.gguf --tasks vqa-rad --data-dir data'},
    {description: 'Fail a CI job when a new build is more than 5% slower', command: '<%= config.bin %> <%= command.id %> --compare before.ndjson after.ndjson --threshold 5'},
  ]

  static override enableJsonFlag = true

  static override flags = benchFlags

  async run(): Promise<BenchResult> {
    const {flags} = await this.parse(Bench)
    const context = {logger: this.useLogger(flags), cacheDir: this.config.cacheDir, version: this.config.version, json: this.jsonEnabled()}
    return runBenchCommand(flags, context)
  }
}
