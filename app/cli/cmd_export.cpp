// attnscope-cli export [--model PATH] --text TEXT [--target TEXT] [--attention encoder|decoder|cross]
//                      --layer L --head H --out FILE(.svg|.csv|.json) [--field weights|scores|value-weighted|value-weighted-layer]
// An encoder-decoder exports its decoder's masked self-attention unless --attention names its
// encoder's self-attention or its cross-attention (rows the target, columns the source).
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "attnscope/atomic_file.h"
#include "attnscope/heatmap_export.h"
#include "attnscope/trace_json.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct ExportOptions {
    std::string model = kDefaultModel;
    std::string text;
    std::optional<std::string> target;
    std::optional<std::string> attention;  // encoder, decoder or cross; unset: the trace's own layers
    int layer = 0;
    int head = 0;
    std::string out;
    std::string field = "weights";
};

// The trace whose layers are the asked kind of attention: the encoder's pass, the decoder's (the
// trace itself) or its cross-attention; a model without an encoder-decoder has only its own.
std::shared_ptr<const Trace> attention_trace(const std::shared_ptr<const Trace>& trace, const std::optional<std::string>& attention) {
    if (!attention) return trace;
    if (!is_encoder_decoder(*trace))
        throw CliError{kUsage, "--attention: model '" + trace->model.name + "' is not an encoder-decoder; it has one kind of attention"};
    if (*attention == "encoder") return trace->source;
    if (*attention == "cross") return cross_attention_trace(*trace);
    return trace;
}

// The head's file, by the extension as export_head reads it (any case). A cross-attention head's
// JSON is the whole trace's, filtered to the head: the trace format keeps cross-attention in
// cross_layers, beside the decoder's layers and the encoder's (source).
Result<std::filesystem::path> write_head(const ExportOptions& o, const Trace& whole, const Trace& trace, HeatmapField field) {
    std::string ext = std::filesystem::path(o.out).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (o.attention != std::optional<std::string>("cross") || ext != ".json") return export_head(trace, o.layer, o.head, o.out, field);
    TraceFilter filter;
    filter.layer = o.layer;
    filter.head = o.head;
    return write_file_atomically(o.out, trace_to_json(whole, filter));
}

void run_export(const ExportOptions& o) {
    const std::optional<HeatmapField> field = heatmap_field_from_name(o.field);
    if (!field)
        throw CliError{kUsage, "--field: expected weights, scores, value-weighted or value-weighted-layer, got '" + o.field + "'"};
    const ModelPtr model = load_model_or_fail(o.model);
    TraceOptions request;
    request.target = o.target;
    const auto whole = trace_or_fail(model, o.text, request);
    const auto trace = attention_trace(whole, o.attention);
    check_layer(*trace, o.layer);
    check_head(*trace, o.head);
    // Value-weighted shares need the heads' W_O (an encoder-decoder's cross heads do not give it).
    if (const auto why = heatmap_field_refusal(*trace, *field)) throw CliError{kBadInput, "--field " + o.field + ": " + *why};
    auto written = write_head(o, *whole, *trace, *field);
    if (!written.ok()) {
        const bool format_problem = written.error().message.find("unknown export format") != std::string::npos;
        throw CliError{format_problem ? kUsage : kFailure, written.error().message};
    }
    std::printf("wrote %s\n", written.value().string().c_str());
}

}  // namespace

void add_export_command(CLI::App& app) {
    auto opts = std::make_shared<ExportOptions>();
    CLI::App* sub = app.add_subcommand("export", "Write one head's attention as .svg (heatmap), .csv or .json");
    sub->add_option("--model", opts->model, "builtin:NAME, a .json model, a .safetensors file or a model folder");
    add_memory_budget_option(sub);
    sub->add_option("--text", opts->text, "The text (an encoder-decoder's source)")->required();
    sub->add_option("--target", opts->target, "Encoder-decoders: force the decoder on this target text (default: the model's own translation)");
    sub->add_option("--attention", opts->attention,
                    "Encoder-decoders: encoder (self-attention over the source), decoder (masked, the default) or cross "
                    "(rows the target, columns the source)")
        ->check(CLI::IsMember({"encoder", "decoder", "cross"}));
    sub->add_option("--layer", opts->layer, "Layer (0-based)")->required();
    sub->add_option("--head", opts->head, "Head (0-based)")->required();
    sub->add_option("--out", opts->out, "Output file: .svg, .csv or .json")->required();
    sub->add_option("--field", opts->field,
                    "weights (default), scores (scaled, before the softmax), value-weighted (each row's shares of "
                    "||a f(x)||, Kobayashi et al. 2020) or value-weighted-layer (the layer's heads summed)");
    on_run(sub, [opts] { run_export(*opts); });
}

}  // namespace attnscope::cli
