// The reference tokenizer for the C++ tests: encodes sentences with @huggingface/tokenizers (the
// JavaScript port of Hugging Face tokenizers) and prints what it made, as JSON on stdout.
//
//   node tests/oracle/encode.mjs TOKENIZER_JSON SENTENCES [TOKENIZER_CONFIG_JSON]
//
// SENTENCES is a JSON array of strings (a .json file) or a text file with one sentence per line.
// TOKENIZER_CONFIG_JSON defaults to the tokenizer_config.json beside TOKENIZER_JSON, if any.
// Output: [{"ids": [...], "tokens": [...], "decoded": "..."}, ...], one entry per sentence, in
// order; "decoded" is decode(ids) without special tokens and without the extra clean-up that
// transformers adds (the file's decoder alone). The port reports no character offsets, so the
// C++ tests check offsets with hand-worked examples.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const [tokenizerPath, sentencesPath, configArg] = process.argv.slice(2);
if (!tokenizerPath || !sentencesPath) {
  console.error("usage: node encode.mjs TOKENIZER_JSON SENTENCES [TOKENIZER_CONFIG_JSON]");
  process.exit(2);
}

const tokenizerJson = JSON.parse(readFileSync(tokenizerPath, "utf8"));
const configPath = configArg ?? join(dirname(tokenizerPath), "tokenizer_config.json");
const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, "utf8")) : {};

const raw = readFileSync(sentencesPath, "utf8");
const sentences = sentencesPath.endsWith(".json") ? JSON.parse(raw) : raw.split("\n").filter((line) => line.length > 0);

const tokenizer = new Tokenizer(tokenizerJson, config);
const out = sentences.map((text) => {
  const encoded = tokenizer.encode(text);
  const decoded = encoded.ids.length === 0 ? ""
    : tokenizer.decode(encoded.ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  return { ids: encoded.ids, tokens: encoded.tokens, decoded };
});
process.stdout.write(JSON.stringify(out));
