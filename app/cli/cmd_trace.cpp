// attnscope-cli trace [--model PATH] --text TEXT [--target TEXT | --max-new N] [--layer L] [--head H]
//                     [--fields LIST] [--format json|table]
// An encoder-decoder reads --text as the source; its decoder is forced on --target, or traces the
// model's own greedy translation (at most --max-new tokens).
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "attnscope/token_labels.h"
#include "attnscope/trace_json.h"
#include "attnscope/text.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct TraceCommand {
    std::string model = kDefaultModel;
    std::string text;
    std::optional<std::string> target;
    int max_new = 64;
    std::optional<int> layer;
    std::optional<int> head;
    std::string fields = "q,k,v,scores,weights";
    std::string format = "json";
};

std::string clip(std::string s, std::size_t width) {
    if (s.size() > width) s = s.substr(0, width - 1) + "~";
    return s;
}

// The weights of one head as a grid: a row per query token, a column per key token (a cross
// layer's keys are the source's tokens). `what` names the attention ("encoder", "cross", ...).
void print_weights_table(const Trace& trace, int l, int h, const std::string& what) {
    const AttentionMatrix weights = trace.head_weights(l, h), scores = trace.head_scores(l, h);
    const Matrix& w = *weights;
    const int n = trace.n_tokens(), n_keys = trace.n_keys(l);
    const std::vector<std::string> keys = key_labels(trace, l);
    std::size_t width = 6;
    for (int i = 0; i < n; ++i) width = std::max(width, std::min<std::size_t>(escape_for_terminal(token_label(trace, i)).size() + 1, 10));
    for (const std::string& key : keys) width = std::max(width, std::min<std::size_t>(escape_for_terminal(key).size() + 1, 10));
    std::printf("\n%slayer %d, head %d: attention weights (row = query token, column = key token; rows sum to 1%s)\n",
                what.empty() ? "" : (what + " ").c_str(), l, h,
                trace.layers[static_cast<std::size_t>(l)].causal ? "; '.' = masked later token" : "");
    std::printf("%*s", static_cast<int>(width), "");
    for (const std::string& key : keys) std::printf(" %*s", static_cast<int>(width), clip(escape_for_terminal(key), width).c_str());
    std::printf("\n");
    for (int i = 0; i < n; ++i) {
        std::printf("%*s", static_cast<int>(width), clip(escape_for_terminal(token_label(trace, i)), width).c_str());
        for (int j = 0; j < n_keys; ++j) {
            const float s = (*scores)(i, j);
            if (std::isinf(s) && s < 0) std::printf(" %*s", static_cast<int>(width), ".");
            else std::printf(" %*.3f", static_cast<int>(width), static_cast<double>(w(i, j)));
        }
        std::printf("\n");
    }
}

void run_trace(const TraceCommand& o) {
    auto fields = TraceFields::parse(o.fields);
    if (!fields.ok()) throw CliError{kUsage, "--fields: " + fields.error().message};
    if (o.format != "json" && o.format != "table")
        throw CliError{kUsage, "--format: expected json or table, got '" + o.format + "'"};
    if (o.max_new < 1) throw CliError{kUsage, "--max-new: expected at least 1"};
    const ModelPtr model = load_model_or_fail(o.model);
    attnscope::TraceOptions request;
    request.target = o.target;
    request.max_new = o.max_new;
    const auto trace = trace_or_fail(*model, o.text, request);
    if (o.layer) check_layer(*trace, *o.layer);
    if (o.head) check_head(*trace, *o.head);
    if (o.format == "json") {
        const TraceFilter filter{o.layer, o.head, fields.value(), model.get()};
        if (const auto refusal = attribution_refusal(*trace, filter)) throw CliError{kUsage, "--fields: " + *refusal};
        std::cout << trace_to_json(*trace, filter);
        return;
    }
    const bool translation = is_encoder_decoder(*trace);
    std::printf("%s (%s): \"%s\"%s, %d tokens, %.2f ms\n", escape_for_terminal(trace->model.name).c_str(),
                architecture_name(trace->model.architecture), escape_for_terminal(translation ? trace->source_text : trace->text).c_str(),
                translation ? (" -> \"" + escape_for_terminal(trace->text) + "\"").c_str() : "", trace->n_tokens(),
                trace->compute_ms);
    auto print_all = [&](const Trace& t, const std::string& what) {
        for (int l = 0; l < static_cast<int>(t.layers.size()); ++l)
            for (int h = 0; h < static_cast<int>(t.layers[static_cast<std::size_t>(l)].heads.size()); ++h)
                if ((!o.layer || *o.layer == l) && (!o.head || *o.head == h)) print_weights_table(t, l, h, what);
    };
    if (!translation) return print_all(*trace, "");
    print_all(*trace->source, "encoder");
    print_all(*trace, "decoder (masked)");
    print_all(*cross_attention_trace(*trace), "cross-attention");
}

}  // namespace

void add_trace_command(CLI::App& app) {
    auto opts = std::make_shared<TraceCommand>();
    CLI::App* sub = app.add_subcommand("trace", "Run the model and print every head's Q, K, V, scores and weights");
    sub->add_option("--model", opts->model, "builtin:NAME, a .json model, a .safetensors file or a model folder");
    add_memory_budget_option(sub);
    sub->add_option("--text", opts->text, "The text (an encoder-decoder's source)")->required();
    sub->add_option("--target", opts->target, "Encoder-decoders: force the decoder on this target text (default: the model's own translation)");
    sub->add_option("--max-new", opts->max_new, "Encoder-decoders: the longest translation traced, in tokens (default 64)");
    sub->add_option("--layer", opts->layer, "Only this layer (0-based)");
    sub->add_option("--head", opts->head, "Only this head (0-based)");
    sub->add_option("--fields", opts->fields, "Comma-separated subset of q,k,v,scores,weights; also rollout (n x n per layer) and value_norms (per head, and value_norms_sum per layer)");
    sub->add_option("--format", opts->format, "json (default, the trace document) or table (weights as text)");
    on_run(sub, [opts] { run_trace(*opts); });
}

}  // namespace attnscope::cli
